//go:build linux

package afpacket

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket/afpacket"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor/decode"
	"github.com/tlsentry/tlsentry/sensor/defrag"
)

// liveWorker reads one fanout socket and feeds its sink. Its socket may
// come and go with the interface (link.go hands out and takes back
// sockets); the sink, and so the worker's flow table, stays, and gets
// its ticks all the while.
type liveWorker struct {
	index   int
	addVLAN bool

	sock *socket // owned by the worker's goroutine while Run runs; nil while it waits for one

	// frags reassembles the IPv6 fragments the worker gets (the kernel
	// reassembles IPv4 ones before the fanout); the fanout program sends
	// every fragment of a connection's packets to its worker.
	frags *defrag.Table

	// The link watcher's side: it hands a socket over on give, asks for
	// the socket back with retire, and counts what the workers hold.
	give    chan *socket
	retire  atomic.Bool
	holding atomic.Bool // from the hand-over until the worker closed the socket
	lost    atomic.Pointer[error]

	// local is counted by the worker's goroutine alone, without atomics;
	// publish copies it to published for Stats.
	local      WorkerStats
	kernelPrev [3]uint32 // the socket's cumulative kernel counters at the last poll

	mu        sync.Mutex
	published WorkerStats
}

func newLiveWorker(i int, addVLAN bool) *liveWorker {
	return &liveWorker{index: i, addVLAN: addVLAN, give: make(chan *socket, 1), frags: defrag.New(defrag.Config{})}
}

// wallCheckEvery is how many packets may pass between looks at the wall
// clock when packet times do not cross the next tick (so that a bad
// timestamp cannot hold ticks back for long).
const wallCheckEvery = 4096

// workerEnv is what a running worker shares with its capture.
type workerEnv struct {
	stop         *atomic.Bool
	stopped      <-chan struct{} // closed when stop is set
	wake         chan<- struct{} // tells the link watcher to look (never blocks)
	sawDown      *atomic.Bool    // set when a socket reported its interface down
	sink         Sink
	dec          *decode.Decoder
	interval     time.Duration // between ticks
	blockTimeout time.Duration // the rings' block timeout
}

func (e *workerEnv) signal() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// ticker calls Tick about every interval, by packet time or wall clock.
type ticker struct {
	interval   time.Duration
	last, next time.Time
}

func newTicker(interval time.Duration) ticker {
	now := time.Now()
	return ticker{interval: interval, last: now, next: now.Add(interval)}
}

// due reports whether a tick is due at now. A clock stepped backwards
// also ticks, and restarts the interval.
func (t *ticker) due(now time.Time) bool {
	if now.Before(t.next) && !now.Before(t.last) {
		return false
	}
	t.last, t.next = now, now.Add(t.interval)
	return true
}

// run reads packets until stop is set, publishes the final counters and
// closes its socket. A socket that fails is given up (the link watcher
// opens new ones); the table keeps ticking while the worker has none.
func (w *liveWorker) run(env *workerEnv) {
	defer w.closeSocket()
	defer w.publish() // runs first: the socket is still open for the kernel counters
	var seg flow.Segment
	tick := newTicker(env.interval)
	tickIfDue := func(now time.Time) {
		if tick.due(now) {
			env.sink.Tick(now)
			w.publish()
		}
	}
	for !env.stop.Load() {
		if w.sock == nil {
			if !w.waitForSocket(env, &tick) {
				return
			}
			continue
		}
		if w.retire.Load() {
			w.giveUp(env, &seg)
			continue
		}
		data, ci, err := w.sock.tp.ZeroCopyReadPacketData()
		if err != nil {
			if !errors.Is(err, afpacket.ErrTimeout) {
				w.socketFailed(env, &seg, err)
			}
			tickIfDue(time.Now())
			continue
		}
		w.handle(env, &seg, data, ci.Timestamp, ci.Length, ci.AncillaryData)
		if ci.Timestamp.After(tick.next) {
			tickIfDue(ci.Timestamp)
		} else if w.local.Packets.Read%wallCheckEvery == 0 {
			tickIfDue(time.Now())
		}
	}
}

// handle decodes one frame and gives its segment to the sink.
func (w *liveWorker) handle(env *workerEnv, seg *flow.Segment, data []byte, ts time.Time, length int, aux []any) {
	w.local.Packets.Read++
	why := env.dec.Decode(w.sock.linkType, data, seg)
	if why == decode.SkipFragment {
		why = env.dec.Reassemble(w.frags, w.sock.linkType, data, ts.UnixNano(), seg)
	}
	if why != decode.SkipNone {
		w.local.Packets.Skipped[why]++
		return
	}
	w.local.Packets.Count(seg)
	seg.Time = ts.UnixNano()
	seg.WireLen = w.wireLen(length, aux)
	env.sink.Process(seg)
}

// socketFailed handles a failed read: an interface that went down leaves
// the socket as it is (the kernel takes it back when the interface comes
// up); any other failure gives the socket up. Either way the watcher
// looks at the link at once.
func (w *liveWorker) socketFailed(env *workerEnv, seg *flow.Segment, err error) {
	ok, why := w.sock.recover(err)
	if ok {
		env.sawDown.Store(true)
	} else {
		w.lost.Store(&why)
		w.giveUp(env, seg)
	}
	env.signal()
}

// giveUp reads what the ring still holds (a block the kernel was filling
// is handed over within the block timeout), publishes the counters and
// closes the socket.
func (w *liveWorker) giveUp(env *workerEnv, seg *flow.Segment) {
	deadline := time.Now().Add(2 * env.blockTimeout)
	for {
		data, ci, err := w.sock.tp.ZeroCopyReadPacketData()
		if err == nil {
			w.handle(env, seg, data, ci.Timestamp, ci.Length, ci.AncillaryData)
			continue
		}
		if !time.Now().Before(deadline) {
			break
		}
		if !errors.Is(err, afpacket.ErrTimeout) {
			time.Sleep(time.Millisecond) // the poll fails at once: do not spin
		}
	}
	w.publish()
	w.closeSocket()
	env.signal()
}

// waitForSocket ticks the sink until the watcher hands a socket over; it
// returns false when the capture stops first.
func (w *liveWorker) waitForSocket(env *workerEnv, tick *ticker) bool {
	timer := time.NewTimer(time.Until(tick.next))
	defer timer.Stop()
	for {
		select {
		case <-env.stopped:
			return false
		case s := <-w.give:
			w.adopt(s)
			return true
		case <-timer.C:
			if now := time.Now(); tick.due(now) {
				env.sink.Tick(now)
				w.publish()
			}
			timer.Reset(time.Until(tick.next))
		}
	}
}

// adopt makes s the worker's socket. A retire request made before the
// hand-over was for the socket before; the watcher asks again if it
// still wants this one back.
func (w *liveWorker) adopt(s *socket) {
	w.retire.Store(false)
	w.sock = s
	w.kernelPrev = s.kernelBase
	w.local.StartupDiscarded += s.discarded
	w.store()
}

func (w *liveWorker) closeSocket() {
	if w.sock == nil {
		return
	}
	w.sock.tp.Close()
	w.sock = nil
	w.retire.Store(false)
	w.holding.Store(false)
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

// pollKernel adds what the kernel counted since the last poll. afpacket
// sums the kernel's counters in 32 bits, so only differences are used.
func (w *liveWorker) pollKernel() {
	if w.sock == nil {
		return
	}
	now := w.sock.kernelCounters(w.kernelPrev)
	w.local.Kernel.Packets += uint64(now[0] - w.kernelPrev[0])
	w.local.Kernel.Drops += uint64(now[1] - w.kernelPrev[1])
	w.local.Kernel.QueueFreezes += uint64(now[2] - w.kernelPrev[2])
	w.kernelPrev = now
}

// publish brings the kernel counters up to date and makes the counters
// visible to Stats. Only the worker's goroutine calls it (or Open, before
// the worker runs).
func (w *liveWorker) publish() {
	w.pollKernel()
	w.local.Reassembled = w.frags.Stats().Reassembled
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
