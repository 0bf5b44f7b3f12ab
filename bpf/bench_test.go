//go:build linux

package bpf

import (
	"errors"
	"testing"
	"time"

	"github.com/cilium/ebpf"
)

// benchProgram runs prog b.N times on frame in the kernel
// (BPF_PROG_TEST_RUN) and reports the kernel's time per run.
func benchProgram(b *testing.B, prog *ebpf.Program, frame []byte) {
	ret, per, err := prog.Benchmark(frame, b.N, b.ResetTimer)
	if errors.Is(err, ebpf.ErrNotSupported) {
		b.Skipf("kernel cannot test-run socket filters: %v", err)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(per)/float64(time.Nanosecond), "kernel-ns/packet")
	_ = ret
}

// BenchmarkPrograms: what each program costs a packet, the socket filter
// (every socket runs it) beside the fanout program (run once per packet,
// before the socket is chosen), on a data segment of a watched
// connection, IPv4 and IPv6.
func BenchmarkPrograms(b *testing.B) {
	filter := loadForTest(b, Config{Ports: []uint16{443}, MapEntries: 1024, ClientBudget: 1 << 30, ServerBudget: 1 << 30, UDPPackets: 4})
	fan := loadFanoutForTest(b)
	for _, c := range []struct{ name, cli, srv string }{{"IPv4", clientIP, serverIP}, {"IPv6", client6, server6}} {
		frame := tcpFrame{src: c.cli, dst: c.srv, sport: 40000, dport: 443, seq: 100, ack: 1, flags: "PA", payload: 1200}.bytes(b)
		b.Run(c.name+"/filter", func(b *testing.B) {
			benchProgram(b, filter.objs.TlsentryFilter, append(append([]byte{}, testRunHeader...), frame...))
		})
		b.Run(c.name+"/fanout", func(b *testing.B) { benchProgram(b, fan.objs.TlsentryFanout, frame) })
	}
}
