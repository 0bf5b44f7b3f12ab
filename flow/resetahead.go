package flow

import "time"

// A reset that acknowledges bytes of its peer the capture has not shown
// yet does not end the connection at once. A tap whose two directions are
// merged with clocks apart may show a server's acknowledgement and reset
// before the client's hello they answer; handing the flow out at the
// reset left it empty, and the hello, after it, a late segment. The
// connection waits on the closing list until the peer's stream reaches
// what the reset acknowledged, or until it has been silent for
// resetQuiet (the bytes were lost to the capture), and is then closed as
// reset.

// resetQuiet is how long a connection whose reset acknowledged unseen
// bytes waits for them, silent, before it is closed without them.
const resetQuiet = time.Second

// resetAhead reports whether reset s from half d acknowledges bytes of
// the peer's stream beyond those seen, or comes before any packet of the
// peer at all (a connection picked up midway, whose reset came first),
// in a connection not yet handed out.
func (c *conn) resetAhead(d int, s *Segment) bool {
	peer := &c.halves[1-d]
	if c.emitted || s.Flags&FlagACK == 0 {
		return false
	}
	if peer.pkts == 0 {
		return true
	}
	return peer.started && peer.ackedBeyond(s.Ack)
}

// ackedBeyond reports whether ack acknowledges bytes of the half past
// those seen in order (seenEnd), within what an acknowledgement can run
// ahead.
func (h *half) ackedBeyond(ack uint32) bool {
	ahead := seqDiff(ack, h.seenEnd())
	return ahead > 0 && ahead < maxAckAhead
}

// seenEnd is the sequence number after the half's bytes seen in order,
// and after its FIN when that came right after them (a FIN takes one).
func (h *half) seenEnd() uint32 {
	if h.finSeen && h.finSeq == h.next {
		return h.next + 1
	}
	return h.next
}

// awaitReset puts the connection on the closing list until its peer's
// bytes up to the reset's acknowledgement arrive.
func (t *Table) awaitReset(c *conn, d int, s *Segment) {
	if !c.resetWait {
		c.resetWait = true
		c.list.remove(c)
		t.closing.pushBack(c)
	}
	c.resetDir, c.resetAck = int8(d), s.Ack
}

// moveTo moves a collecting TCP connection to list l, unless it waits on
// the closing list, which only its peer's bytes or its silence end.
func (t *Table) moveTo(c *conn, l *connList) {
	if c.resetWait {
		return
	}
	c.list.remove(c)
	l.pushBack(c)
}

// acksUnseen reports whether ack, from the peer of half h, acknowledges
// bytes of h beyond its first byte when h has shown none: h's first byte
// is known from its SYN (ackedBeyond: a FIN seen takes its sequence
// number, and is no byte), or from the SYN-ACK's acknowledgement of it.
func (h *half) acksUnseen(ack uint32) bool {
	switch {
	case h.started:
		return h.ackedBeyond(ack)
	case h.hasHint:
		ahead := seqDiff(ack, h.ackHint)
		return ahead > 0 && ahead < maxAckAhead
	}
	return false
}

// resetCaughtUp reports whether a connection waiting after a reset has
// its peer's bytes up to what the reset acknowledged.
func (c *conn) resetCaughtUp() bool {
	peer := &c.halves[1-c.resetDir]
	return c.resetWait && peer.started && seqDiff(peer.seenEnd(), c.resetAck) >= 0
}
