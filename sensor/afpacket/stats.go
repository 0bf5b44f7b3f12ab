package afpacket

import (
	"fmt"
	"time"

	"github.com/tlsentry/tlsentry/sensor/decode"
)

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
	// Reassembled counts the IPv6 datagrams the worker made whole from
	// their fragments (the kernel reassembles IPv4 ones before the
	// fanout). Of a datagram's frames, the one that completes it counts
	// as decoded, the others as skipped fragments.
	Reassembled uint64
}

// Add adds o's counters to s.
func (s *WorkerStats) Add(o *WorkerStats) {
	s.Packets.Add(&o.Packets)
	s.Kernel.Add(&o.Kernel)
	s.StartupDiscarded += o.StartupDiscarded
	s.Reassembled += o.Reassembled
}

// Stats is a snapshot of a live capture's counters. Worker counters
// are brought up to date at each tick (and when the capture stops), so a
// snapshot lags by at most a TickInterval.
type Stats struct {
	Interface string
	Workers   []WorkerStats // one per socket, in worker order
	Total     WorkerStats   // the sum over Workers
	Link      LinkStats     // up to date at once
}

// LinkState is what a capture knows of its interface.
type LinkState uint8

// The states of a capture's interface.
const (
	// LinkUp: the interface is up with a carrier and the capture's sockets
	// are open on it.
	LinkUp LinkState = iota
	// LinkDown: the interface is administratively down (ip link set down).
	LinkDown
	// LinkNoCarrier: the interface is up but has no carrier (a cable, the
	// peer or the mirror session is down): nothing arrives.
	LinkNoCarrier
	// LinkAbsent: no interface has the name (not created yet, or removed).
	LinkAbsent
	// LinkReopening: the interface is up but the capture's sockets are not
	// open on it: they are being replaced, or opening them failed (the log
	// says why, and it is tried again).
	LinkReopening
)

func (s LinkState) String() string {
	switch s {
	case LinkUp:
		return "up"
	case LinkDown:
		return "down"
	case LinkNoCarrier:
		return "no-carrier"
	case LinkAbsent:
		return "absent"
	case LinkReopening:
		return "reopening"
	}
	return fmt.Sprintf("LinkState(%d)", uint8(s))
}

// LinkStats says how a capture's interface has fared.
type LinkStats struct {
	State LinkState
	// Since is when State began (when the capture opened, for the first).
	Since time.Time
	// Flaps counts the times the link left LinkUp.
	Flaps uint64
	// Down is the time spent in any other state than LinkUp since the
	// capture opened, the current spell included.
	Down time.Duration
	// Reopens counts the times the sockets were opened again: the
	// interface was removed and came back (a new device), or a socket
	// failed. (A link that goes down and up keeps its sockets.)
	Reopens uint64
}
