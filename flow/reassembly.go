package flow

// seqDiff returns a-b in TCP sequence space (RFC 1982 serial arithmetic),
// so comparisons stay right across the 2^32 wrap.
func seqDiff(a, b uint32) int32 { return int32(a - b) }

// pendingSeg is an out-of-order segment waiting for the bytes before it.
type pendingSeg struct {
	seq    uint32
	seqLen int    // bytes of sequence space it covers
	data   []byte // captured bytes (may be shorter than seqLen)
	// conflicted: it disagreed with another buffered segment, a conflict
	// already recorded (not again when it is drained).
	conflicted bool
}

// half is the reassembly state of one direction of a connection.
type half struct {
	synSeen bool
	isn     uint32 // initial sequence number, when synSeen
	// synAgain: the side sent its SYN again with another sequence number
	// before any data (SYN-ACKs resent so, or several answering one SYN):
	// the peer's acknowledgement tells which one it took.
	synAgain bool
	// synPlain: the side's SYN carried no TCP signature option (stray.go).
	synPlain bool
	started  bool // next is known
	finSeen  bool
	hasHint  bool   // the peer acknowledged our first byte before we sent data
	ackHint  uint32 // that acknowledgement: where our stream starts
	next     uint32 // next expected sequence number
	streamed int    // stream bytes delivered (or skipped over a gap)

	pending      []pendingSeg // sorted by seq
	pendingBytes int
	// holeAt is 1 + the flow's prefix length when the current hole opened
	// (0: no hole). Bytes missing from a hole opened before the prefix was
	// full belong inside the prefix, even if other bytes filled it since.
	holeAt int
	// holed: bytes of this direction went missing (a hole skipped, a
	// segment cut short), so its prefix bytes no longer sit at their
	// stream offsets. intact: how many of its prefix bytes came before.
	holed  bool
	intact int
	// gapped: bytes of this direction went missing, as its own readers
	// (the handshake capture, the hello's segments) were told; holed is
	// the prefix's, which may learn it later (ackorder.go).
	gapped bool
	// acked is the highest acknowledgement the peer sent for this
	// direction (ackSeen), finSeq the sequence number of its FIN: either
	// beyond next says bytes went by that the capture missed (tailLost).
	ackSeen bool
	acked   uint32
	finSeq  uint32
	// sent is the sequence number after the furthest segment of the side
	// past next (sentSeen), a bare ACK's too (ackorder.go).
	sentSeen bool
	sent     uint32

	hs   hsCapture
	recs recordWalk
	pkts uint64
	byts uint64
}

// sink receives a direction's in-order stream bytes; gap is true when
// bytes were skipped just before data. An interface rather than a func
// value so that the hot path does not allocate a closure per segment.
type sink interface {
	deliver(dir int, data []byte, gap bool)
	prefixLen() int
	// contradicts compares bytes already delivered at stream offset off
	// with what was kept of them, recording a conflict if they differ.
	contradicts(dir, off int, data []byte)
	// conflict records one found between buffered segments.
	conflict(dir, off int, kept, other []byte)
}

// add places a segment's payload in the direction's stream. Policy for
// overlaps: first data wins. Bytes already delivered are never replaced,
// and of two buffered segments covering the same bytes the one that
// arrived first is used (as in Linux and Suricata's default policy).
// Overlapping bytes that differ from those kept are counted and recorded
// (conflict.go) unless judge is false (an RST's payload is a diagnostic
// text, not stream bytes).
func (h *half) add(seq uint32, data []byte, seqLen int, maxPending int, st *Stats, out sink, dir int, judge bool) {
	if !h.started {
		h.started = true
		h.next = seq
		if h.hasHint && seqDiff(seq, h.ackHint) >= 0 && seqDiff(seq, h.ackHint) < int32(maxPending) {
			h.next = h.ackHint // a reordered earlier segment may still come
		}
	}
	off := seqDiff(seq, h.next)
	if off < 0 {
		skip := int(-off)
		if judge && !keepAlive(seqLen, off) {
			out.contradicts(dir, h.streamed-skip, data[:min(skip, len(data))])
		}
		if skip >= seqLen {
			st.Retransmits++
			return
		}
		st.Overlaps++
		seq += uint32(skip)
		seqLen -= skip
		data = data[min(skip, len(data)):]
		off = 0
	}
	if off > 0 {
		if seqLen == 1 && keepAlive(seqLen, seqDiff(seq, h.frontier())) {
			st.Retransmits++ // a keep-alive past a hole in the capture
			return
		}
		h.buffer(seq, data, seqLen, maxPending, st, out, dir, judge)
		return
	}
	h.deliverSeg(data, seqLen, false, out, dir)
	h.drain(out, dir)
}

// deliverSeg hands on a segment that starts exactly at next.
func (h *half) deliverSeg(data []byte, seqLen int, gap bool, out sink, dir int) {
	if len(data) > 0 || gap {
		out.deliver(dir, data, gap)
	}
	if len(data) < seqLen {
		out.deliver(dir, nil, true) // snaplen cut the segment: the rest is missing
	}
	h.next += uint32(seqLen)
	h.streamed += seqLen
}

// drain delivers buffered segments that have become contiguous.
func (h *half) drain(out sink, dir int) {
	for len(h.pending) > 0 {
		p := h.pending[0]
		off := seqDiff(p.seq, h.next)
		if off > 0 {
			return
		}
		h.pending = h.pending[1:]
		h.pendingBytes -= len(p.data)
		skip := int(-off)
		if !p.conflicted && skip > 0 {
			out.contradicts(dir, h.streamed-skip, p.data[:min(skip, len(p.data))])
		}
		if skip >= p.seqLen {
			continue // wholly covered by what was already delivered
		}
		h.deliverSeg(p.data[min(skip, len(p.data)):], p.seqLen-skip, false, out, dir)
	}
	if len(h.pending) == 0 {
		h.pending = h.pending[:0:0]
		h.holeAt = 0
	}
}

// buffer keeps an out-of-order segment. When the buffer would exceed its
// bound, the hole before the first buffered segment is declared lost and
// skipped: memory stays bounded and the flow goes on with a gap.
func (h *half) buffer(seq uint32, data []byte, seqLen int, maxPending int, st *Stats, out sink, dir int, judge bool) {
	for h.pendingBytes+len(data) > maxPending && len(h.pending) > 0 {
		st.PendingOverflows++
		h.skipGap(out, dir)
	}
	if h.pendingBytes+len(data) > maxPending {
		// A single segment larger than the bound: start after the hole.
		st.PendingOverflows++
		h.next = seq
		h.deliverSeg(data, seqLen, true, out, dir)
		return
	}
	i := len(h.pending)
	for i > 0 && seqDiff(h.pending[i-1].seq, seq) > 0 {
		i--
	}
	st.OutOfOrder++
	if len(h.pending) == 0 {
		h.holeAt = out.prefixLen() + 1
	}
	p := pendingSeg{seq: seq, seqLen: seqLen, data: append([]byte(nil), data...)}
	p.conflicted = judge && h.overlapsPending(seq, data, out, dir)
	h.pending = append(h.pending, pendingSeg{})
	copy(h.pending[i+1:], h.pending[i:])
	h.pending[i] = p
	h.pendingBytes += len(p.data)
}

// skipGap jumps over the hole before the first buffered segment and
// delivers what then follows in order.
func (h *half) skipGap(out sink, dir int) {
	if len(h.pending) == 0 {
		return
	}
	p := h.pending[0]
	h.pending = h.pending[1:]
	h.pendingBytes -= len(p.data)
	h.streamed += int(seqDiff(p.seq, h.next))
	h.next = p.seq
	h.deliverSeg(p.data, p.seqLen, true, out, dir)
	h.drain(out, dir)
}

// maxAckAhead bounds how far past the bytes seen an acknowledgement may
// reach to count (tailLost): a window's worth at most, RFC 7323's 1 GiB.
const maxAckAhead = 1 << 30

// frontier is the sequence number after the last buffered segment (next
// when none is): how far the side is known to have sent.
func (h *half) frontier() uint32 {
	f := h.next
	for i := range h.pending {
		if e := h.pending[i].seq + uint32(h.pending[i].seqLen); seqDiff(e, f) > 0 {
			f = e
		}
	}
	return f
}

// tailLost reports whether the direction sent bytes past the last the
// capture delivered, with nothing after them to open a hole: its FIN
// came later in sequence space, or its peer acknowledged more (beyond
// the FIN's own sequence number, whose packet may be what was lost).
func (h *half) tailLost() bool {
	if !h.started || len(h.pending) > 0 {
		return false
	}
	return h.finSeen && seqDiff(h.finSeq, h.next) > 0 || h.ackSeen && seqDiff(h.acked, h.next) > 1
}

// flushPending delivers everything still buffered, skipping holes; used
// when the flow ends.
func (h *half) flushPending(out sink, dir int) {
	for len(h.pending) > 0 {
		h.skipGap(out, dir)
	}
}
