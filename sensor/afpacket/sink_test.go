package afpacket

import (
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor/decode"
)

func TestTableSinkTickEndsIdleFlows(t *testing.T) {
	cfg := flow.DefaultConfig()
	cfg.IdleTimeout = time.Second
	cfg.VerdictTimeout = time.Second // at most the idle timeout
	var out []*flow.Flow
	tab, err := flow.NewTable(cfg, func(f *flow.Flow) { out = append(out, f) })
	if err != nil {
		t.Fatal(err)
	}
	var sink Sink = tableSink{tab}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	seg := flow.Segment{
		Time:  t0.UnixNano(),
		Src:   flow.Endpoint{Addr: [16]byte{10: 0xff, 11: 0xff, 12: 10, 15: 1}, Port: 40000},
		Dst:   flow.Endpoint{Addr: [16]byte{10: 0xff, 11: 0xff, 12: 10, 15: 2}, Port: 443},
		Flags: flow.FlagSYN,
	}
	sink.Process(&seg)
	sink.Tick(t0.Add(500 * time.Millisecond))
	if len(out) != 0 {
		t.Fatalf("flow ended before its idle timeout: %v", out[0].EndReason)
	}
	sink.Tick(t0.Add(2 * time.Second))
	if len(out) != 1 || out[0].EndReason != flow.EndIdle {
		t.Fatalf("after the idle timeout: %d flows, want one ended idle", len(out))
	}
}

func TestLiveWorkerStatsAdd(t *testing.T) {
	a := WorkerStats{Packets: decode.Stats{Read: 3, Decoded: 2}, Kernel: KernelStats{Packets: 4, Drops: 1, QueueFreezes: 1}, StartupDiscarded: 5}
	a.Packets.Skipped[decode.SkipNotTCP] = 1
	var sum WorkerStats
	sum.Add(&a)
	sum.Add(&a)
	if sum.Packets.Read != 6 || sum.Packets.Decoded != 4 || sum.Packets.Skipped[decode.SkipNotTCP] != 2 ||
		sum.Kernel != (KernelStats{8, 2, 2}) || sum.StartupDiscarded != 10 {
		t.Errorf("sum %+v", sum)
	}
}
