package sensor

import (
	"time"

	"github.com/tlsentry/tlsentry/flow"
)

// LiveSink takes one capture worker's segments. Its methods are called on
// that worker's goroutine only, so a sink owned by one worker needs no
// locking (the daemon gives worker i shard i of a flow.Sharded).
type LiveSink interface {
	// Process takes a decoded segment; its payload aliases the capture
	// ring and is only valid until Process returns.
	SegmentSink
	// Tick is called about every TickInterval, also when no packet
	// arrives, with the current time: the time of the packet just read,
	// or the wall clock when the link is quiet (both are the kernel's
	// real-time clock). A flow table advances its packet time by it, so
	// idle flows end while the link is quiet.
	Tick(now time.Time)
}

// LiveTable makes a flow table a LiveSink: Tick advances its time.
type LiveTable struct{ *flow.Table }

// Tick advances the table's packet time to now.
func (t LiveTable) Tick(now time.Time) { t.Advance(now) }

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

// LiveWorkerStats counts what one capture socket saw.
type LiveWorkerStats struct {
	// Packets counts frames read from the ring, decoded into segments and
	// skipped by reason (Files and Errors stay 0).
	Packets PacketStats
	Kernel  KernelStats
	// StartupDiscarded counts frames received before the socket had
	// joined the fanout group, thrown away because they were not spread
	// by flow and may belong to another worker's connections.
	StartupDiscarded uint64
}

// Add adds o's counters to s.
func (s *LiveWorkerStats) Add(o *LiveWorkerStats) {
	s.Packets.Add(&o.Packets)
	s.Kernel.Add(&o.Kernel)
	s.StartupDiscarded += o.StartupDiscarded
}

// LiveStats is a snapshot of a live capture's counters. Worker counters
// are brought up to date at each tick (and when the capture stops), so a
// snapshot lags by at most a TickInterval.
type LiveStats struct {
	Interface string
	Workers   []LiveWorkerStats // one per socket, in worker order
	Total     LiveWorkerStats   // the sum over Workers
}
