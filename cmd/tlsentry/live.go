package main

import (
	"go.uber.org/zap"

	"github.com/tlsentry/tlsentry/bpf"
	"github.com/tlsentry/tlsentry/sensor/afpacket"
	"github.com/tlsentry/tlsentry/sensor/config"
	"github.com/tlsentry/tlsentry/sensor/metrics"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
)

// openLive loads the eBPF filter (capture.bpf) and opens one AF_PACKET
// capture per interface with it attached. Needs CAP_NET_RAW, and CAP_BPF
// for the filter (promiscuous mode, a socket membership, needs no
// CAP_NET_ADMIN). An interface that
// does not exist yet or is down does not stop the start (as Suricata
// does, the sensor waits for it and says so); one that goes away later
// is waited for the same way.
func (d *daemon) openLive(cfg *config.Config) (*pipeline.LiveInput, error) {
	c := cfg.Capture
	progFD := 0
	if c.BPF {
		f, err := bpf.Load(c.Filter())
		if err != nil {
			return nil, cfg.Errorf("capture.bpf", "%v", err)
		}
		d.filter, progFD = f, f.FD()
	}
	d.live = &pipeline.LiveInput{}
	for _, iface := range c.Interfaces {
		ac := c.AFPacket(iface)
		ac.BPFProgramFD = progFD
		ac.WaitForLink = true
		capture, err := afpacket.Open(ac)
		if err != nil {
			return nil, cfg.Errorf("capture.interfaces", "%v", err)
		}
		capture.Log = d.log.Logger
		if err := capture.SpreadError(); err != nil {
			d.log.Warn("capture: "+spreadWarning, zap.String("interface", iface), zap.Error(err))
		}
		d.live.Captures = append(d.live.Captures, capture)
		if st := capture.Stats().Link.State; st != afpacket.LinkUp {
			d.log.Warn("capture: interface "+waitingFor(st)+": starting anyway, capturing once it is up",
				zap.String("interface", iface), zap.Stringer("state", st))
		}
	}
	d.metrics.SetKernelStats(d.live.KernelStats)
	d.metrics.SetLinkStats(d.live.LinkStats)
	if d.filter != nil {
		d.metrics.SetFilterStats(d.filterStats)
	}
	return d.live, nil
}

// spreadWarning is what an operator is told when the capture's eBPF
// fanout program did not load.
const spreadWarning = "the eBPF fanout program did not load, so the kernel's flow hash spreads packets over the workers: " +
	"a handshake sent in IPv6 fragments may reach another worker than its connection and be lost " +
	"(grant CAP_BPF, or capture with one worker)"

// waitingFor says what a capture waits for in words.
func waitingFor(st afpacket.LinkState) string {
	switch st {
	case afpacket.LinkAbsent:
		return "does not exist"
	case afpacket.LinkDown:
		return "is down"
	case afpacket.LinkNoCarrier:
		return "has no carrier"
	}
	return "is not up"
}

// filterStats reads the eBPF filter's counters for the metrics (at each
// scrape: one map lookup per counter).
func (d *daemon) filterStats() (metrics.FilterStats, error) {
	st, err := d.filter.Stats()
	if err != nil {
		return metrics.FilterStats{}, err
	}
	return metrics.FilterStats{Passed: st.Passed, NotWatched: st.NotWatched, Fragment: st.Fragment,
		Malformed: st.Malformed, OverBudget: st.OverBudget}, nil
}

// captureFields are the capture's and the filter's counters, for the
// log line at stop.
func (d *daemon) captureFields() []zap.Field {
	if d.live == nil {
		return nil
	}
	var total afpacket.WorkerStats
	for _, c := range d.live.Captures {
		st := c.Stats()
		total.Add(&st.Total)
	}
	fields := []zap.Field{
		zap.Uint64("packets_read", total.Packets.Read), zap.Uint64("kernel_packets", total.Kernel.Packets),
		zap.Uint64("kernel_drops", total.Kernel.Drops), zap.Uint64("kernel_queue_freezes", total.Kernel.QueueFreezes),
		zap.Uint64("startup_discarded", total.StartupDiscarded),
	}
	var flaps, reopens uint64
	var down float64
	for _, l := range d.live.LinkStats() {
		flaps, reopens, down = flaps+l.Flaps, reopens+l.Reopens, down+l.DownSeconds
	}
	fields = append(fields, zap.Uint64("link_flaps", flaps), zap.Float64("link_down_seconds", down), zap.Uint64("link_reopens", reopens))
	if d.filter != nil {
		if st, err := d.filter.Stats(); err == nil {
			fields = append(fields, zap.Uint64("bpf_seen", st.Seen), zap.Uint64("bpf_passed", st.Passed),
				zap.Uint64("bpf_not_watched", st.NotWatched), zap.Uint64("bpf_over_budget", st.OverBudget),
				zap.Uint64("bpf_kept_in_kernel", st.Dropped()))
		}
	}
	return fields
}
