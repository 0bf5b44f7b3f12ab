package flow

// A TCP stack that sends a stretch of its stream again (a retransmission,
// a repacketised overlap) sends the same bytes. Segments that disagree
// with bytes already received at the same sequence numbers are the
// desynchronisation trick of DPI-evasion tools (a decoy hello sent with a
// short TTL, a bad checksum or an option the server drops, then the real
// one): the server accepts one copy, a monitor may keep the other.
// Suricata calls it "reassembly overlap with different data". The table
// keeps the first data (as before) and reports the disagreement.

// ConflictShow is how many bytes of each version a Conflict keeps, from
// the first byte that differs.
const ConflictShow = 16

// Conflict is what one side's segments showed of stream bytes sent twice,
// different.
type Conflict struct {
	// Offset is the stream offset (from the side's first byte) of the
	// first byte that differed.
	Offset int
	// Kept is what the table had there (the data that came first); Other
	// what a later segment said instead: up to ConflictShow bytes each.
	Kept, Other []byte
	// Segments counts the segments that disagreed with bytes already
	// received or buffered.
	Segments int
}

// conflicts holds a connection's Conflicts and stray data by half,
// allocated on the first one (most connections never have any).
type conflicts struct {
	overlap [2]*Conflict
	noACK   [2]*Stray      // data without ACK (stray.go)
	before  [2]*Stray      // data before the stream's first byte (stray.go)
	signed  [2]*Stray      // data with a signature option the SYN lacked (stray.go)
	tiny    [2]*Fragmented // segments that came in tiny IP fragments (fragments.go)
}

// record returns the connection's conflicts and stray data, made on
// first use.
func (c *conn) record() *conflicts {
	if c.conflicts == nil {
		c.conflicts = new(conflicts)
	}
	return c.conflicts
}

// contradicts compares data, stream bytes of half d starting at stream
// offset off that were already delivered, with what the connection kept
// of them (the handshake capture, the prefix), and records a conflict.
// Bytes it no longer holds cannot be compared.
func (s *connSink) contradicts(d, off int, data []byte) {
	c := s.c
	if off < 0 { // bytes from before where the stream began (picked up mid-stream)
		data = data[min(-off, len(data)):]
		off = 0
	}
	for len(data) > 0 {
		kept := c.keptAt(d, off)
		if len(kept) == 0 {
			return
		}
		n := min(len(kept), len(data))
		if i := firstDiff(kept[:n], data[:n]); i >= 0 {
			s.conflict(d, off+i, kept[i:], data[i:])
			return
		}
		off += n
		data = data[n:]
	}
}

// keepAlive reports a segment of one byte at next-1: a keep-alive, which
// may carry a garbage byte (RFC 1122 4.2.3.6), not a second version of
// the stream.
func keepAlive(seqLen int, off int32) bool { return seqLen == 1 && off == -1 }

// keptAt returns the bytes of half d's stream the connection still holds
// from stream offset off on, as far as they run contiguously: its
// handshake capture (which starts at the hello), else its share of the
// prefix while the half has had no hole (then the prefix's bytes of the
// half are its stream from offset 0).
func (c *conn) keptAt(d, off int) []byte {
	h := &c.halves[d]
	if hs := &h.hs; hs.ovpn == nil && len(hs.buf) > 0 && off >= hs.start && off < hs.start+len(hs.buf) {
		return hs.buf[off-hs.start:]
	}
	if h.holed {
		return nil
	}
	at, pos := 0, 0 // where a run starts in the prefix and in the half's stream
	for _, r := range c.runs {
		if r.mixed {
			return nil
		}
		n := int(r.n)
		if int(r.half) == d {
			if off < pos+n {
				return c.prefix[at+off-pos : at+n]
			}
			pos += n
		}
		at += n
	}
	return nil
}

// conflict records that half d's stream byte at off was kept as kept[0]
// and said otherwise by other[0].
func (c *conn) conflict(d, off int, kept, other []byte) {
	r := c.record()
	if k := r.overlap[d]; k != nil {
		k.Segments++
		return
	}
	r.overlap[d] = &Conflict{Offset: off, Segments: 1,
		Kept:  append([]byte(nil), kept[:min(len(kept), ConflictShow)]...),
		Other: append([]byte(nil), other[:min(len(other), ConflictShow)]...)}
}

// firstDiff returns the index of the first byte where a and b (of equal
// length) differ, or -1.
func firstDiff(a, b []byte) int {
	if string(a) == string(b) {
		return -1
	}
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// recheck compares the bytes a segment resends, on a half that needs no
// more bytes, with what the connection kept of them: else a decoy hello
// as long as the prefix would have its real twin go unread.
func (h *half) recheck(seq uint32, data []byte, seqLen int, out sink, dir int) {
	if !h.started {
		return
	}
	if off := seqDiff(seq, h.next); off < 0 && !keepAlive(seqLen, off) {
		out.contradicts(dir, h.streamed+int(off), data[:min(int(-off), len(data))])
	}
}

// overlapsPending compares a segment about to be buffered with the
// buffered segments that cover some of the same sequence numbers, and
// reports whether one of them disagrees (recorded as a conflict at the
// stream offset it would have).
func (h *half) overlapsPending(seq uint32, data []byte, out sink, dir int) bool {
	end := seq + uint32(len(data))
	for i := range h.pending {
		p := &h.pending[i]
		lo, hi := seq, end
		if seqDiff(p.seq, lo) > 0 {
			lo = p.seq
		}
		if pe := p.seq + uint32(len(p.data)); seqDiff(pe, hi) < 0 {
			hi = pe
		}
		if seqDiff(hi, lo) <= 0 {
			continue
		}
		a := p.data[seqDiff(lo, p.seq):seqDiff(hi, p.seq)]
		b := data[seqDiff(lo, seq):seqDiff(hi, seq)]
		if j := firstDiff(a, b); j >= 0 {
			out.conflict(dir, h.streamed+int(seqDiff(lo, h.next))+j, a[j:], b[j:])
			p.conflicted = true // recorded: not again when it is drained
			return true
		}
	}
	return false
}

func (s *connSink) conflict(d, off int, kept, other []byte) {
	s.t.stats.OverlapConflicts++
	s.c.conflict(d, off, kept, other)
}
