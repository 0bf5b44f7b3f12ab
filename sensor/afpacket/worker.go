//go:build linux

package afpacket

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket/afpacket"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor/decode"
)

// liveWorker reads one fanout socket.
type liveWorker struct {
	index   int
	tp      *afpacket.TPacket
	addVLAN bool

	// local is counted by the worker's goroutine alone, without atomics;
	// publish copies it to published for Stats.
	local      WorkerStats
	kernelPrev [3]uint32 // the socket's cumulative kernel counters at the last poll

	mu        sync.Mutex
	published WorkerStats
}

// wallCheckEvery is how many packets may pass between looks at the wall
// clock when packet times do not cross the next tick (so that a bad
// timestamp cannot hold ticks back for long).
const wallCheckEvery = 4096

// run reads packets until stop is set or the socket fails, then publishes
// the final counters and closes the socket.
func (w *liveWorker) run(stop *atomic.Bool, sink Sink, dec *decode.Decoder, lt uint32, interval time.Duration) error {
	defer w.tp.Close()
	defer w.publish() // runs first: the socket is still open for the kernel counters
	var seg flow.Segment
	last := time.Now()
	next := last.Add(interval)
	tickIfDue := func(now time.Time) {
		// A clock stepped backwards also ticks, and restarts the interval.
		if !now.Before(next) || now.Before(last) {
			sink.Tick(now)
			w.publish()
			last, next = now, now.Add(interval)
		}
	}
	for !stop.Load() {
		data, ci, err := w.tp.ZeroCopyReadPacketData()
		if err != nil {
			if errors.Is(err, afpacket.ErrTimeout) {
				tickIfDue(time.Now())
				continue
			}
			if errors.Is(err, afpacket.ErrPoll) {
				return fmt.Errorf("read: %w (the interface went down or was removed)", err)
			}
			return fmt.Errorf("read: %w", err)
		}
		w.local.Packets.Read++
		if why := dec.Decode(lt, data, &seg); why != decode.SkipNone {
			w.local.Packets.Skipped[why]++
		} else {
			w.local.Packets.Decoded++
			seg.Time = ci.Timestamp.UnixNano()
			seg.WireLen = w.wireLen(ci.Length, ci.AncillaryData)
			sink.Process(&seg)
		}
		if ci.Timestamp.After(next) {
			tickIfDue(ci.Timestamp)
		} else if w.local.Packets.Read%wallCheckEvery == 0 {
			tickIfDue(time.Now())
		}
	}
	return nil
}

// wireLen is the frame's length on the wire: the kernel's length, plus
// the VLAN tag it took out when the tag was not put back.
func (w *liveWorker) wireLen(n int, aux []any) int {
	if !w.addVLAN {
		for _, a := range aux {
			if _, ok := a.(afpacket.AncillaryVLAN); ok {
				n += 4
			}
		}
	}
	return n
}

// baselineKernel reads the kernel counters, so that what was counted
// before (while draining) is not reported.
func (w *liveWorker) baselineKernel() {
	if _, v3, err := w.tp.SocketStats(); err == nil {
		w.kernelPrev = [3]uint32{uint32(v3.Packets()), uint32(v3.Drops()), uint32(v3.QueueFreezes())}
	}
}

// pollKernel adds what the kernel counted since the last poll. afpacket
// sums the kernel's counters in 32 bits, so only differences are used.
func (w *liveWorker) pollKernel() {
	_, v3, err := w.tp.SocketStats()
	if err != nil {
		return // keep the counts so far; the next poll catches up
	}
	now := [3]uint32{uint32(v3.Packets()), uint32(v3.Drops()), uint32(v3.QueueFreezes())}
	w.local.Kernel.Packets += uint64(now[0] - w.kernelPrev[0])
	w.local.Kernel.Drops += uint64(now[1] - w.kernelPrev[1])
	w.local.Kernel.QueueFreezes += uint64(now[2] - w.kernelPrev[2])
	w.kernelPrev = now
}

// publish brings the kernel counters up to date and makes the counters
// visible to Stats. Only the worker's goroutine calls it.
func (w *liveWorker) publish() {
	w.pollKernel()
	w.store()
}

func (w *liveWorker) store() {
	w.mu.Lock()
	w.published = w.local
	w.mu.Unlock()
}

func (w *liveWorker) snapshot() WorkerStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.published
}
