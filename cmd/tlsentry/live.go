package main

import (
	"go.uber.org/zap"

	"github.com/tlsentry/tlsentry/bpf"
	"github.com/tlsentry/tlsentry/sensor/afpacket"
	"github.com/tlsentry/tlsentry/sensor/config"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
)

// openLive loads the eBPF filter (capture.bpf) and opens one AF_PACKET
// capture per interface with it attached. Needs CAP_NET_RAW, and CAP_BPF
// for the filter; CAP_NET_ADMIN for promiscuous mode.
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
		capture, err := afpacket.Open(ac)
		if err != nil {
			return nil, cfg.Errorf("capture.interfaces", "%v", err)
		}
		d.live.Captures = append(d.live.Captures, capture)
	}
	d.metrics.SetKernelStats(d.live.KernelStats)
	return d.live, nil
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
	if d.filter != nil {
		if st, err := d.filter.Stats(); err == nil {
			fields = append(fields, zap.Uint64("bpf_seen", st.Seen), zap.Uint64("bpf_passed", st.Passed),
				zap.Uint64("bpf_not_watched", st.NotWatched), zap.Uint64("bpf_over_budget", st.OverBudget),
				zap.Uint64("bpf_kept_in_kernel", st.Dropped()))
		}
	}
	return fields
}
