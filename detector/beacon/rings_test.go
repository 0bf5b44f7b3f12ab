package beacon

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestRingGrowsToRingLen: a pair's ring starts small and grows as its
// connections come, arriving out of start order; it keeps every one in
// start order until RingLen, then the latest RingLen, as a ring of
// RingLen from the start would.
func TestRingGrowsToRingLen(t *testing.T) {
	const ringLen = 20
	tr := newTracker(t, Config{RingLen: ringLen, MinConns: 4, MaxPairs: 64})
	evs := beat{client: "10.0.0.1", server: "192.0.2.1:443", period: time.Minute, n: 50, flowID: 1000}.events()
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i+1 < len(evs); i += 2 { // pairwise swaps: flows end out of start order
		if r.IntN(2) == 0 {
			evs[i], evs[i+1] = evs[i+1], evs[i]
		}
	}
	var ids []uint64
	for k, ev := range evs {
		tr.Add(ev)
		ids = append(ids, ev.FlowID)
		p := tr.pairs.at(0)
		ring := tr.pairs.ringOf(0)
		want := slices.Clone(ids)
		slices.Sort(want)
		want = want[max(0, len(want)-ringLen):]
		var got []uint64
		for i := range p.n {
			got = append(got, ring[wrap(p.head+i, int32(len(ring)))].id)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("after %d events the ring (size %d) holds %v, want %v", k+1, len(ring), got, want)
		}
		if len(ring) > max(firstRing, 2*(k+1)) {
			t.Fatalf("after %d events the ring has %d entries", k+1, len(ring))
		}
	}
	if n := len(tr.pairs.ringOf(0)); n != ringLen {
		t.Errorf("a full ring has %d entries, want %d", n, ringLen)
	}
	checkInvariants(t, tr)
}

// TestRingsOfOneConnectionPairs: a table full of pairs of one connection
// (a scan) holds rings of firstRing entries, and slots reused after
// eviction keep their storage.
func TestRingsOfOneConnectionPairs(t *testing.T) {
	tr := newTracker(t, Config{MaxPairs: 1024, MaxDestinations: 1024})
	for i := range 5000 {
		tr.Add(scanEvent(i))
	}
	rs := &tr.pairs.rings
	if got := rs.classes[0].used; got != 1024 {
		t.Errorf("%d rings of %d entries handed out for 1024 slots", got, rs.classes[0].size)
	}
	for c := 1; c < len(rs.classes); c++ {
		if rs.classes[c].used != 0 {
			t.Errorf("%d rings of %d entries for pairs of one connection", rs.classes[c].used, rs.classes[c].size)
		}
	}
	checkInvariants(t, tr)
}
