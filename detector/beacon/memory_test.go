package beacon

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// TestMemoryFlatUnderScan: the live heap after n distinct pairs and after
// 10n is the same: a scan cannot grow the tracker. The pairs are keyed by
// distinct server names (KeySNI), each a fresh string, the worst case for
// what pairs keep. BenchmarkScan measures the same at 10 M pairs.
func TestMemoryFlatUnderScan(t *testing.T) {
	n := 50_000
	if raceEnabled || testing.Short() {
		n = 10_000
	}
	tr := newTracker(t, Config{Key: KeySNI, MaxPairs: 4096, MaxDestinations: 4096})
	add := func(from, to int) {
		for i := from; i < to; i++ {
			ev := scanEvent(i)
			ev.SNI = fmt.Sprintf("host-%d.scan.example", i)
			tr.Add(ev)
		}
	}
	add(0, n)
	heap1 := liveHeap()
	add(n, 10*n)
	heap10 := liveHeap()
	s := tr.Stats()
	t.Logf("heap after %d pairs %.1f MiB, after %d pairs %.1f MiB; %+v", n, float64(heap1)/(1<<20), 10*n, float64(heap10)/(1<<20), s)
	if s.Pairs != 4096 || s.Destinations != 4096 || s.PairEvictions != uint64(10*n-4096) {
		t.Errorf("stats %+v", s)
	}
	// Allow 512 KiB of noise (the runtime's own bookkeeping).
	if heap10 > heap1+512<<10 {
		t.Errorf("heap grew from %d to %d bytes between %d and %d distinct pairs", heap1, heap10, n, 10*n)
	}
	runtime.KeepAlive(tr)
	checkInvariants(t, tr)
}

// TestMemoryBound: a full tracker's heap is what Config's comments say
// (about 1.4 KB a pair at the default ring).
func TestMemoryBound(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 16,384 pairs")
	}
	before := liveHeap()
	tr := newTracker(t, Config{MaxPairs: 16384, MaxDestinations: 16384})
	at := time.Unix(1_800_000_000, 0)
	for i := range 20000 {
		ev := scanEvent(i)
		ev.Time = at
		tr.Add(ev)
	}
	used := liveHeap() - before
	perPair := float64(used) / 16384
	t.Logf("%.1f MiB for 16,384 pairs and destinations: %.0f bytes a pair", float64(used)/(1<<20), perPair)
	if perPair > 1800 {
		t.Errorf("%.0f bytes a pair, over the documented ~1.6 KB (pair, ring, destination)", perPair)
	}
	runtime.KeepAlive(tr)
}
