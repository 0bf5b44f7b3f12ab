package afpacket

import (
	"time"

	"github.com/tlsentry/tlsentry/flow"
)

// Sink takes one capture worker's segments. Its methods are called on
// that worker's goroutine only, so a sink owned by one worker needs no
// locking (the daemon gives worker i shard i of a flow.Sharded).
type Sink interface {
	// Process takes a decoded segment; its payload aliases the capture
	// ring and is only valid until Process returns.
	Process(*flow.Segment)
	// Tick is called about every TickInterval, also when no packet
	// arrives, with the current time: the time of the packet just read,
	// or the wall clock when the link is quiet (both are the kernel's
	// real-time clock). A flow table advances its packet time by it, so
	// idle flows end while the link is quiet.
	Tick(now time.Time)
}
