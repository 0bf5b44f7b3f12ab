package beacon

import (
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time the process has used (all threads, the garbage
// collector's included). Benchmarks report events per CPU second beside
// events per second: on a shared machine the wall clock counts other
// people's work.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRate reports events/s and events/cpu-s since the timer started
// at cpu0.
func reportRate(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "events/cpu-s")
	}
}

var benchStream = sync.OnceValue(func() *stream { return generate(1, defaultSpec()) })

// replay returns the stream's i-th event, the stream repeated end to end
// (each repeat a span later) for as long as the benchmark runs.
func (s *stream) replay(i int, span time.Duration) Event {
	n := len(s.conns)
	ev := s.event(i % n)
	ev.Time = ev.Time.Add(time.Duration(i/n) * span)
	return ev
}

// BenchmarkAdd is the steady state: the generated acceptance stream (13,000
// pairs, beacons among human and polling traffic, 1.9 M connections over 3
// days) replayed into one tracker. Run with GOMAXPROCS=1 for the
// one-CPU figure.
func BenchmarkAdd(b *testing.B) {
	st := benchStream()
	tr, err := NewTracker(Config{})
	if err != nil {
		b.Fatal(err)
	}
	span := defaultSpec().span
	for i := range len(st.conns) { // warm up: every pair in the table
		tr.Add(st.replay(i, span))
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := range b.N {
		tr.Add(st.replay(len(st.conns)+i, span))
	}
	reportRate(b, cpu0)
}

// BenchmarkAddParallel is BenchmarkAdd from all CPUs at once (the daemon's
// scoring workers sharing one tracker): the mutex's cost under contention.
func BenchmarkAddParallel(b *testing.B) {
	st := benchStream()
	tr, err := NewTracker(Config{})
	if err != nil {
		b.Fatal(err)
	}
	span := defaultSpec().span
	for i := range len(st.conns) {
		tr.Add(st.replay(i, span))
	}
	var next atomic.Int64
	next.Store(int64(len(st.conns)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tr.Add(st.replay(int(next.Add(1)), span))
		}
	})
	reportRate(b, cpu0)
}

// scanEvent is the i-th event of a scan: every event a pair never seen
// before (distinct clients, servers and ports), a millisecond apart.
func scanEvent(i int) Event {
	return Event{
		Time:   time.Unix(1_800_000_000, 0).Add(time.Duration(i) * time.Millisecond),
		FlowID: uint64(i),
		Client: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}),
		Server: netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18, byte(i >> 12), byte(i >> 4)}), uint16(i)),
		SNI:    "scan.example", BytesToServer: 300, BytesToClient: 0,
	}
}

// BenchmarkScan adds b.N distinct pairs (a scan: every event a new pair,
// every one past MaxPairs an eviction) and reports the live heap after
// them. Run it with -benchtime=10000000x for the 10 M pairs; the
// heap is the same at 1 M (see TestMemoryFlatUnderScan).
func BenchmarkScan(b *testing.B) {
	tr, err := NewTracker(Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := range b.N {
		tr.Add(scanEvent(i))
	}
	b.StopTimer()
	reportRate(b, cpu0)
	b.ReportMetric(float64(liveHeap())/(1<<20), "heap-MiB")
	runtime.KeepAlive(tr)
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
