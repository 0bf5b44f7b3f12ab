package flow

import "sync/atomic"

// The memory budget bounds the bytes a sensor's tables hold in buffers
// whose size traffic decides: out-of-order segments waiting for a hole
// to fill, and the handshake bytes being captured. Per-flow bounds alone
// (MaxPending, HandshakeLimit) multiply by MaxFlows into gigabytes: 66k
// flows with 2 x 30 KB out of order took 4.66 GB. As Suricata's stream
// and reassembly memcaps, one budget is shared by every table (shard) of
// a sensor and enforced as the bytes are taken: each segment's charge is
// checked as it is processed, and a table over budget gives up the
// oldest out-of-order data it holds first (that flow goes on as after a
// gap; Stats.MemcapGiveUps), then hands out early the flow holding
// handshake bytes the longest (EndEvicted; Stats.MemcapEvictions). A
// table may overshoot by one segment's bytes before it frees them.

// Budget is a memory budget shared by tables; safe for concurrent use.
type Budget struct {
	limit int64
	used  atomic.Int64
}

// NewBudget returns a budget of limit bytes.
func NewBudget(limit int64) *Budget { return &Budget{limit: limit} }

// Used is the number of bytes charged now.
func (b *Budget) Used() int64 { return b.used.Load() }

// Limit is the budget's size in bytes.
func (b *Budget) Limit() int64 { return b.limit }

func (b *Budget) over() bool { return b.used.Load() > b.limit }

// pendingOverhead is what a buffered segment costs beyond its bytes: its
// pendingSeg entry and the allocation's rounding, roughly.
const pendingOverhead = 64

// cost is what a connection's buffers take from the budget now.
func (c *conn) cost() int64 {
	var n int
	for d := range c.halves {
		h := &c.halves[d]
		n += h.pendingBytes + len(h.pending)*pendingOverhead + cap(h.hs.buf)
	}
	if c.qpend != nil {
		n += c.qpend.bytes + len(c.qpend.datagrams)*pendingOverhead
	}
	return int64(n + c.heldCost())
}

// account brings the budget up to date with c's buffers, and c's place on
// the lists of connections holding out-of-order data and handshake bytes.
func (t *Table) account(c *conn) {
	n := c.cost()
	if n == c.charged {
		return
	}
	t.budget.used.Add(n - c.charged)
	c.charged = n
	pending := len(c.halves[0].pending)+len(c.halves[1].pending) > 0 || c.held != nil
	if pending != (c.memLinks[memPending].on) {
		t.memLists[memPending].toggle(c, memPending)
	}
	hs := cap(c.halves[0].hs.buf)+cap(c.halves[1].hs.buf) > 0
	if hs != (c.memLinks[memHandshake].on) {
		t.memLists[memHandshake].toggle(c, memHandshake)
	}
}

// release returns c's charge: its buffers were handed out or dropped.
func (t *Table) release(c *conn) {
	if c.charged != 0 {
		t.budget.used.Add(-c.charged)
		c.charged = 0
	}
	for l := range t.memLists {
		if c.memLinks[l].on {
			t.memLists[l].toggle(c, l)
		}
	}
}

// relieve frees this table's buffers while the budget is exceeded: the
// oldest out-of-order data first, then the flows holding handshake bytes
// the longest. A table with nothing left to free leaves the rest to the
// others sharing the budget.
func (t *Table) relieve() {
	for t.budget.over() {
		if c := t.memLists[memPending].head; c != nil {
			t.stats.MemcapGiveUps++
			sk := c.sink(t)
			for d := range c.halves {
				c.halves[d].giveUpPending(sk, d)
			}
			c.heldOff = true // and bytes held for their peer's go on as they came
			c.releaseHeld(t, true)
			t.account(c)
			continue
		}
		if c := t.memLists[memHandshake].head; c != nil {
			t.stats.MemcapEvictions++
			t.end(c, EndEvicted)
			continue
		}
		return
	}
}

// Lists of connections by what they hold, oldest first. memHeld, the
// connections holding bytes back for their peer's (ackorder.go), is not
// the budget's: a hold joins it as it begins and leaves as it ends, so
// that its order is that of the holds' start, for heldQuiet.
const (
	memPending = iota
	memHandshake
	memHeld
	numMemLists
)

type memLink struct {
	prev, next *conn
	on         bool
}

type memList struct{ head, tail *conn }

// toggle puts c at the back of the list, or takes it off if it is on it.
func (l *memList) toggle(c *conn, i int) {
	k := &c.memLinks[i]
	if k.on {
		if k.prev != nil {
			k.prev.memLinks[i].next = k.next
		} else {
			l.head = k.next
		}
		if k.next != nil {
			k.next.memLinks[i].prev = k.prev
		} else {
			l.tail = k.prev
		}
		*k = memLink{}
		return
	}
	*k = memLink{prev: l.tail, on: true}
	if l.tail != nil {
		l.tail.memLinks[i].next = c
	} else {
		l.head = c
	}
	l.tail = c
}

// giveUpPending drops the direction's buffered out-of-order segments for
// the memory budget: the stream jumps past them as past a gap.
func (h *half) giveUpPending(out sink, dir int) {
	if len(h.pending) == 0 {
		return
	}
	end := h.next
	for _, p := range h.pending {
		if e := p.seq + uint32(p.seqLen); seqDiff(e, end) > 0 {
			end = e
		}
	}
	h.pending, h.pendingBytes = nil, 0
	out.deliver(dir, nil, true) // a gap: before holeAt is cleared, which says where it opened
	h.holeAt = 0
	h.streamed += int(seqDiff(end, h.next))
	h.next = end
}
