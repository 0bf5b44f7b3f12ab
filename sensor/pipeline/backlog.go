package pipeline

import (
	"container/heap"
	"container/list"
	"net/netip"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tlsentry/tlsentry/flow"
)

// Priorities of a flow waiting to be scored: what shedding keeps longest.
const (
	// prioPartial: the capture missed the connection's start (no SYN): a
	// one-segment flow of a flood looks like this.
	prioPartial = iota
	// prioOpen: a connection seen from its start, still open or idle.
	prioOpen
	// prioWhole: a connection seen from its start whose bytes decide it:
	// prefix and handshakes complete, decided early (flow.EndDecided), or
	// closed.
	prioWhole
	numPrios
)

// priority ranks a flow for shedding.
func priority(f *flow.Flow) int {
	switch {
	case f.Midstream:
		return prioPartial
	case f.EndReason == flow.EndComplete || f.EndReason == flow.EndDecided || f.EndReason == flow.EndFIN || f.EndReason == flow.EndRST:
		return prioWhole
	}
	return prioOpen
}

// Shed reasons (metrics.QueueDrops's reason label).
const (
	shedLowerPriority = "lower_priority" // made room for a flow of a higher priority
	shedSourceShare   = "source_share"   // its source held more than its share of the queue
)

// sourceKey is where a flow comes from, for fairness: the client's /24
// (IPv4) or /48 (IPv6), so that one host or one prefix flooding the
// sensor cannot take every place in the queue.
func sourceKey(f *flow.Flow) netip.Prefix {
	a := f.Client.AddrPort().Addr()
	bits := 48
	if a.Is4() {
		bits = 24
	}
	p, _ := a.Prefix(bits)
	return p
}

// backlog is the live pipeline's queue of flows waiting for a worker. It
// serves flows in the order they came; when it is full, it sheds to keep
// what matters: a flow of a lower priority makes room first, and among
// the flows of one priority, the source holding the most places gives
// one up (its oldest), so a flood from one place is shed before anyone
// else's flows. Offline (no shedding) a full backlog makes the tables
// wait instead.
type backlog struct {
	mu       sync.Mutex
	notEmpty sync.Cond
	notFull  sync.Cond
	cap      int
	depth    prometheus.Gauge // flows waiting
	shedding bool             // drop when full (live) rather than wait
	closed   bool

	fifo  list.List // *waiting, oldest first
	prios [numPrios]prioState
}

// waiting is one queued flow.
type waiting struct {
	f     *flow.Flow
	at    time.Time // when its table handed it out (wall clock)
	iface string
	prio  int
	src   *source
	inQ   *list.Element // in backlog.fifo
	inSrc *list.Element // in source.flows
}

// prioState is one priority's sources, heaviest at the top of the heap.
type prioState struct {
	bySrc map[netip.Prefix]*source
	heavy sourceHeap
}

type source struct {
	key   netip.Prefix
	flows list.List // *waiting of this source and priority, oldest first
	index int       // in the heap
}

func newBacklog(capacity int, shedding bool, depth prometheus.Gauge) *backlog {
	b := &backlog{cap: capacity, shedding: shedding, depth: depth}
	b.notEmpty.L, b.notFull.L = &b.mu, &b.mu
	for i := range b.prios {
		b.prios[i].bySrc = map[netip.Prefix]*source{}
	}
	return b
}

// add queues a flow, or sheds one. It returns the flow shed (f itself, or
// a queued one that made room for it) and why; nil when nothing was.
func (b *backlog) add(f *flow.Flow, iface string, at time.Time) (shed *flow.Flow, why string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.fifo.Len() >= b.cap && !b.shedding && !b.closed {
		b.notFull.Wait()
	}
	w := &waiting{f: f, at: at, iface: iface, prio: priority(f)}
	if b.fifo.Len() >= b.cap {
		victim, reason := b.victim(w.prio, sourceKey(f))
		if victim == nil {
			return f, reason
		}
		b.remove(victim)
		shed, why = victim.f, reason
	}
	b.push(w)
	b.notEmpty.Signal()
	return shed, why
}

// victim chooses what to shed for a new flow of priority prio from src:
// nil when it should be the new flow itself.
func (b *backlog) victim(prio int, src netip.Prefix) (*waiting, string) {
	for p := range prio + 1 {
		ps := &b.prios[p]
		if len(ps.heavy) == 0 {
			continue
		}
		top := ps.heavy[0]
		if p < prio {
			return top.flows.Front().Value.(*waiting), shedLowerPriority
		}
		// The same priority: the heaviest source gives up a place, unless
		// the newcomer's own source is (one of) the heaviest.
		own := 0
		if s, ok := ps.bySrc[src]; ok {
			own = s.flows.Len()
		}
		if top.flows.Len() > own+1 {
			return top.flows.Front().Value.(*waiting), shedSourceShare
		}
		return nil, shedSourceShare
	}
	return nil, shedLowerPriority
}

func (b *backlog) push(w *waiting) {
	ps := &b.prios[w.prio]
	key := sourceKey(w.f)
	s, ok := ps.bySrc[key]
	if !ok {
		s = &source{key: key}
		ps.bySrc[key] = s
		heap.Push(&ps.heavy, s)
	}
	w.src = s
	w.inSrc = s.flows.PushBack(w)
	heap.Fix(&ps.heavy, s.index)
	w.inQ = b.fifo.PushBack(w)
	b.depth.Set(float64(b.fifo.Len()))
}

func (b *backlog) remove(w *waiting) {
	b.fifo.Remove(w.inQ)
	b.depth.Set(float64(b.fifo.Len()))
	s := w.src
	s.flows.Remove(w.inSrc)
	ps := &b.prios[w.prio]
	if s.flows.Len() == 0 {
		heap.Remove(&ps.heavy, s.index)
		delete(ps.bySrc, s.key)
	} else {
		heap.Fix(&ps.heavy, s.index)
	}
}

// take waits for flows and moves up to max of them, oldest first, into
// dst (a batch's results); it returns false once the backlog is closed
// and empty.
func (b *backlog) take(max int, batch *Batch) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.fifo.Len() == 0 && !b.closed {
		b.notEmpty.Wait()
	}
	if b.fifo.Len() == 0 {
		return false
	}
	for b.fifo.Len() > 0 && len(batch.Results) < max {
		w := b.fifo.Front().Value.(*waiting)
		if len(batch.Results) > 0 && w.iface != batch.InIface {
			break // a batch is of one interface
		}
		b.remove(w)
		batch.InIface = w.iface
		batch.Results = append(batch.Results, Result{Flow: w.f, handedOut: w.at})
		batch.hs = append(batch.hs, nil)
	}
	b.notFull.Broadcast()
	return true
}

// len is the number of flows waiting.
func (b *backlog) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.fifo.Len()
}

// close wakes every taker: they empty the backlog, then stop.
func (b *backlog) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.notEmpty.Broadcast()
	b.notFull.Broadcast()
}

// isShedding says whether a full backlog sheds rather than waits.
func (b *backlog) isShedding() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.shedding
}

// stopShedding makes a full backlog wait instead of shed (the source has
// stopped: nothing is lost by waiting).
func (b *backlog) stopShedding() {
	b.mu.Lock()
	b.shedding = false
	b.mu.Unlock()
}

// sourceHeap orders sources by the flows they hold, most first.
type sourceHeap []*source

func (h sourceHeap) Len() int           { return len(h) }
func (h sourceHeap) Less(i, j int) bool { return h[i].flows.Len() > h[j].flows.Len() }
func (h sourceHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *sourceHeap) Push(x any) {
	s := x.(*source)
	s.index = len(*h)
	*h = append(*h, s)
}
func (h *sourceHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return s
}
