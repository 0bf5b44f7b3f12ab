package afpacket

import "github.com/tlsentry/tlsentry/sensor/decode"

// KernelStats are one capture socket's counters kept by the kernel.
type KernelStats struct {
	Packets      uint64 // packets the filter passed to the socket, dropped ones included
	Drops        uint64 // packets lost because the ring was full
	QueueFreezes uint64 // times the ring filled up (TPACKET_V3)
}

// Add adds o's counters to s.
func (s *KernelStats) Add(o *KernelStats) {
	s.Packets += o.Packets
	s.Drops += o.Drops
	s.QueueFreezes += o.QueueFreezes
}

// WorkerStats counts what one capture socket saw.
type WorkerStats struct {
	// Packets counts frames read from the ring, decoded into segments and
	// skipped by reason (Files and Errors stay 0).
	Packets decode.Stats
	Kernel  KernelStats
	// StartupDiscarded counts frames received before the socket had
	// joined the fanout group, thrown away because they were not spread
	// by flow and may belong to another worker's connections.
	StartupDiscarded uint64
}

// Add adds o's counters to s.
func (s *WorkerStats) Add(o *WorkerStats) {
	s.Packets.Add(&o.Packets)
	s.Kernel.Add(&o.Kernel)
	s.StartupDiscarded += o.StartupDiscarded
}

// Stats is a snapshot of a live capture's counters. Worker counters
// are brought up to date at each tick (and when the capture stops), so a
// snapshot lags by at most a TickInterval.
type Stats struct {
	Interface string
	Workers   []WorkerStats // one per socket, in worker order
	Total     WorkerStats   // the sum over Workers
}
