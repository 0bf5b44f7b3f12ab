package flow

import "time"

// Bytes in the order the endpoints sent them. A tap whose two directions
// are merged with clocks apart (two capture ports, receive queues that
// reorder them) may show a server's answer before the client bytes it
// answers. Taken in capture order, the prefix then interleaves the sides
// wrongly, and the first bytes judged are the server's: an obfuscated
// tunnel's client looked like a server speaking first, a STARTTLS
// upgrade like a handshake out of nowhere.
//
// A segment's acknowledgement says which of its peer's bytes its sender
// had received. What reads both sides in the order they spoke (the
// first-bytes judgement and the prefix) takes a side's bytes whose
// segment acknowledges peer bytes the capture has not shown (in order,
// or buffered past a hole) only once the peer's stream reaches them,
// right after the bytes that reached it; what reads one side alone (the
// handshake capture, the record walk) takes them at once. Only what can
// still enter the prefix is held: at most PrefixSize bytes a side.
// Holding ends when the prefix is full (the order matters no more), past
// heldQuiet of network time from its start (a sweep or the connection's
// next packet finds it), under memory pressure, and when the flow is
// handed out: the held bytes then go on as they came (a capture of one
// direction shows a server's answers and never the bytes they
// acknowledge).

// heldQuiet bounds how long (from the first held, in network time) a
// connection holds bytes back; past it, they and what follows go on in
// capture order.
const heldQuiet = int64(time.Second)

// heldChunk is one delivery held back: bytes of half at stream offset
// off (gap: bytes before them are missing; holeEarly: the hole opened
// before the prefix was full). waits: the segment that brought them
// acknowledged the peer up to need, past the peer's bytes seen;
// otherwise they only keep their place behind their side's earlier held
// bytes.
type heldChunk struct {
	half      uint8
	gap       bool
	holeEarly bool
	waits     bool
	off       int
	need      uint32
	data      []byte
}

// heldBytes is a connection's deliveries held back, in capture order.
type heldBytes struct {
	chunks  []heldChunk
	of      [2]int // chunks of each half
	bytesOf [2]int // bytes of each half
	since   int64  // network time of the first held
}

// total is the bytes held, both halves'.
func (q *heldBytes) total() int { return q.bytesOf[0] + q.bytesOf[1] }

// holdsBack reports whether bytes of half d, delivered while a segment
// acknowledging ack (ackOK: it carried an acknowledgement to go by) is
// processed, must wait: their side has bytes waiting already (its order
// is kept), or ack reaches past the peer's bytes seen while the prefix
// is still filling.
func (c *conn) holdsBack(d int, ack uint32, ackOK bool) (hold, waits bool) {
	if c.held != nil && c.held.of[d] > 0 {
		return true, ackOK && !c.halves[1-d].reaches(ack)
	}
	if !ackOK || c.heldOff || len(c.prefix) >= PrefixSize {
		return false, false
	}
	waits = !c.halves[1-d].reaches(ack)
	return waits, waits
}

// reaches reports whether ack acknowledges no byte of the half that the
// capture has not shown: none past the bytes seen in order, none past
// those buffered behind a hole, none before a later segment of the half
// (a bare ACK's sequence number says the bytes before it were sent):
// bytes the capture lost, or that come later, reordered, do not keep the
// peer waiting.
func (h *half) reaches(ack uint32) bool {
	if !h.acksUnseen(ack) {
		return true
	}
	return h.started && (seqDiff(h.frontier(), ack) >= 0 || h.sentSeen && seqDiff(h.sent, ack) >= 0)
}

// noteSent records end, the sequence number after a segment of the half,
// when it is the furthest its segments reached past the bytes seen in
// order (within what a window allows).
func (h *half) noteSent(end uint32) {
	ahead := seqDiff(end, h.next)
	if h.started && ahead > 0 && ahead < maxAckAhead && (!h.sentSeen || seqDiff(end, h.sent) > 0) {
		h.sent, h.sentSeen = end, true
	}
}

// hold keeps a copy of a delivery of half d, as much of it as may still
// enter the prefix, until its peer's stream reaches need.
func (c *conn) hold(t *Table, d int, data []byte, gap, holeEarly, waits bool, off int, need uint32) {
	room := PrefixSize - len(c.prefix)
	if c.held != nil {
		room -= c.held.bytesOf[d]
	}
	data = data[:max(0, min(len(data), room))]
	if len(data) == 0 && !gap {
		return
	}
	q := c.held
	if q == nil {
		q = &heldBytes{since: t.now}
		c.held = q
		t.stats.AheadOfPeer++
		t.memLists[memHeld].toggle(c, memHeld) // at the back: holds begin in network-time order
	}
	q.chunks = append(q.chunks, heldChunk{half: uint8(d), gap: gap, holeEarly: holeEarly, waits: waits, off: off, need: need, data: append([]byte(nil), data...)})
	q.bytesOf[d] += len(data)
	q.of[d]++
}

// releaseOverdue gives up holding for a connection whose first held
// chunk has waited heldQuiet (its peer's bytes were lost, or never
// captured) at the time it did so, as a packet then would have: what was
// held goes on, and the connection may be complete or decided by it. A
// packet after that time (Process) and the sweep (expire) call it first,
// so that records do not depend on when the sweep runs. It reports
// whether the connection left the table.
func (t *Table) releaseOverdue(c *conn) bool {
	at := c.held.since + heldQuiet
	t.stats.AheadGivenUp++
	c.heldOff = true
	c.releaseHeld(t, true)
	t.account(c)
	switch {
	case c.complete():
		t.finishAt(c, EndComplete, at)
	case c.decided():
		t.finishAt(c, EndDecided, at)
	default:
		return false
	}
	return true
}

// overdue reports whether c's first held chunk has waited past heldQuiet.
func (t *Table) overdue(c *conn) bool { return c.held != nil && t.now-c.held.since > heldQuiet }

// expireHeld releases the connections whose holding is overdue, oldest
// first (memHeld is in the order the holds began).
func (t *Table) expireHeld() {
	for c := t.memLists[memHeld].head; c != nil && t.overdue(c); c = t.memLists[memHeld].head {
		t.releaseOverdue(c)
	}
}

// releaseHeld delivers the held chunks whose peer bytes have come, in
// order, stopping at the first that still waits; all of them when all is
// set or the prefix is full.
func (c *conn) releaseHeld(t *Table, all bool) {
	q := c.held
	for q != nil && len(q.chunks) > 0 {
		f := q.chunks[0]
		if !all && len(c.prefix) < PrefixSize && f.waits && !c.halves[1-f.half].reaches(f.need) {
			return
		}
		q.chunks[0] = heldChunk{}
		q.chunks = q.chunks[1:]
		q.bytesOf[f.half] -= len(f.data)
		q.of[f.half]--
		c.takeShared(t, int(f.half), f.data, f.gap, f.holeEarly, f.off)
	}
	if c.held != nil {
		c.held = nil
		t.memLists[memHeld].toggle(c, memHeld)
	}
}

// heldCost is what the held chunks take from the memory budget.
func (c *conn) heldCost() int {
	if c.held == nil {
		return 0
	}
	return c.held.total() + len(c.held.chunks)*pendingOverhead
}
