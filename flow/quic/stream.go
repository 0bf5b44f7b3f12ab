package quic

// maxSpans bounds the number of disjoint pieces a CRYPTO stream may hold:
// a hostile sender of many tiny out-of-order pieces gets the rest refused
// rather than growing the bookkeeping. Real clients send a handful (Chrome
// scatters a ClientHello over ten or so CRYPTO frames).
const maxSpans = 32

// span is a received byte range [from, to) of a CRYPTO stream.
type span struct{ from, to int }

// cryptoStream reassembles one direction's CRYPTO frames by offset, first
// data wins, keeping bytes [0, limit) of the stream at most.
type cryptoStream struct {
	// buf holds received bytes at their stream offsets; len(buf) is the
	// end of the furthest piece kept. Bytes not received are zero.
	buf []byte
	// spans are the received ranges: sorted, disjoint, and not touching
	// (adjacent ranges are merged).
	spans []span
}

// write stores data received at stream offset off. Bytes at or beyond
// limit are dropped, as are whole pieces that would need more than maxSpans
// ranges; bytes already received are kept (first data wins). It reports
// the bytes dropped and whether the piece overlapped received data.
func (s *cryptoStream) write(off uint64, data []byte, limit int) (dropped int, overlap bool) {
	if off >= uint64(limit) {
		return len(data), false
	}
	from := int(off)
	if len(data) > limit-from {
		dropped = len(data) - (limit - from)
		data = data[:limit-from]
	}
	if len(data) == 0 {
		return dropped, false
	}
	to := from + len(data)

	// Ranges [lo, hi) of spans touch or overlap the new piece.
	lo := 0
	for lo < len(s.spans) && s.spans[lo].to < from {
		lo++
	}
	hi := lo
	for hi < len(s.spans) && s.spans[hi].from <= to {
		hi++
	}
	if len(s.spans)-(hi-lo)+1 > maxSpans {
		return dropped + len(data), false
	}
	s.grow(to, limit)

	// Copy only the gaps between the received ranges the piece covers.
	at := from
	for _, sp := range s.spans[lo:hi] {
		if sp.to > from && sp.from < to {
			overlap = true
		}
		if sp.from > at {
			copy(s.buf[at:sp.from], data[at-from:])
		}
		at = max(at, sp.to)
	}
	if at < to {
		copy(s.buf[at:to], data[at-from:])
	}

	merged := span{from, to}
	if hi > lo {
		merged.from = min(merged.from, s.spans[lo].from)
		merged.to = max(merged.to, s.spans[hi-1].to)
	}
	switch {
	case hi > lo:
		s.spans[lo] = merged
		s.spans = append(s.spans[:lo+1], s.spans[hi:]...)
	default:
		s.spans = append(s.spans, span{})
		copy(s.spans[lo+1:], s.spans[lo:])
		s.spans[lo] = merged
	}
	return dropped, overlap
}

// grow makes buf at least n bytes long, never with more capacity than limit.
func (s *cryptoStream) grow(n, limit int) {
	if n <= len(s.buf) {
		return
	}
	if n <= cap(s.buf) {
		s.buf = s.buf[:n]
		return
	}
	// A QUIC ClientHello is 250 bytes to a few KB (post-quantum key
	// shares spread it over several packets): whole KiBs, doubling.
	c := min((max(n, 2*cap(s.buf))+1023)&^1023, limit)
	nb := make([]byte, n, c)
	copy(nb, s.buf)
	s.buf = nb
}

// contiguous returns the stream bytes from offset 0 up to the first byte
// not received. It aliases the stream.
func (s *cryptoStream) contiguous() []byte {
	if len(s.spans) == 0 || s.spans[0].from != 0 {
		return nil
	}
	return s.buf[:s.spans[0].to:s.spans[0].to]
}

// holed reports whether the stream holds bytes past a missing one: what
// contiguous returns stops at a hole, not at the stream's end.
func (s *cryptoStream) holed() bool {
	return len(s.spans) > 1 || len(s.spans) == 1 && s.spans[0].from != 0
}

// reset empties the stream, keeping its memory.
func (s *cryptoStream) reset() {
	clear(s.buf[:cap(s.buf)])
	s.buf = s.buf[:0]
	s.spans = s.spans[:0]
}
