package quic

import "encoding/binary"

// maxCryptoEnd is the largest stream offset a CRYPTO frame may reach (RFC
// 9000 section 19.6: 2^62-1).
const maxCryptoEnd = 1<<62 - 1

// frameReader walks the frames of one decrypted packet.
type frameReader struct{ b []byte }

// varint reads a variable-length integer.
func (r *frameReader) varint() (uint64, bool) {
	v, n := readVarint(r.b)
	r.b = r.b[n:]
	return v, n > 0
}

// skip drops n bytes.
func (r *frameReader) skip(n uint64) bool {
	if n > uint64(len(r.b)) {
		return false
	}
	r.b = r.b[n:]
	return true
}

// take returns the next n bytes.
func (r *frameReader) take(n uint64) ([]byte, bool) {
	if n > uint64(len(r.b)) {
		return nil, false
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out, true
}

// frames parses the IETF frames of a decrypted Initial packet (RFC 9000
// section 12.4: PADDING, PING, ACK, CRYPTO and CONNECTION_CLOSE are the
// frames an Initial may carry), handing CRYPTO data to the side's stream.
// It stops at the first frame it cannot accept.
func (s *side) frames(p []byte, limit int) error {
	r := frameReader{p}
	for len(r.b) > 0 {
		t := r.b[0]
		r.b = r.b[1:]
		switch t {
		case 0x00: // PADDING: runs of zero bytes
			r.b = r.b[zeroRun(r.b):]
		case 0x01: // PING
			s.info.Pings++
		case 0x02, 0x03: // ACK, ACK with ECN counts
			if err := r.ack(t == 0x03); err != nil {
				return err
			}
			s.info.Acks++
		case 0x06: // CRYPTO
			if err := s.cryptoFrame(&r, limit); err != nil {
				return err
			}
		case 0x1c: // CONNECTION_CLOSE (transport error)
			code, ok1 := r.varint()
			_, ok2 := r.varint() // the frame type that caused it
			reason, ok3 := r.varint()
			if !ok1 || !ok2 || !ok3 || !r.skip(reason) {
				return errFrameShort
			}
			s.close(code)
		default:
			return errFrameInInit
		}
	}
	return nil
}

// ack skips an IETF ACK frame's body (RFC 9000 section 19.3).
// cryptoFrame reads a CRYPTO frame's offset, length and data (the same
// in IETF QUIC and in Google's T05x) into the side's CRYPTO stream.
func (s *side) cryptoFrame(r *frameReader, limit int) error {
	off, ok1 := r.varint()
	n, ok2 := r.varint()
	if !ok1 || !ok2 {
		return errFrameShort
	}
	if off+n > maxCryptoEnd || n > maxCryptoEnd {
		return errCryptoOffset
	}
	data, ok := r.take(n)
	if !ok {
		return errFrameShort
	}
	s.crypto(off, data, limit)
	return nil
}

func (r *frameReader) ack(ecn bool) error {
	_, ok1 := r.varint() // largest acknowledged
	_, ok2 := r.varint() // ACK delay
	ranges, ok3 := r.varint()
	_, ok4 := r.varint() // first ACK range
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return errFrameShort
	}
	// Each further range takes at least two bytes: refuse counts the
	// packet cannot hold before looping over them.
	if ranges > uint64(len(r.b)/2) {
		return errAckRanges
	}
	for range ranges {
		_, ok1 := r.varint() // gap
		_, ok2 := r.varint() // range length
		if !ok1 || !ok2 {
			return errFrameShort
		}
	}
	if ecn {
		for range 3 { // ECT0, ECT1, ECN-CE counts
			if _, ok := r.varint(); !ok {
				return errFrameShort
			}
		}
	}
	return nil
}

// gquicFrames parses the frames of a decrypted Initial packet of Google's
// T050, T051 or Q050, which keep Google QUIC's own frame encoding: PADDING
// (0x00, the rest of the packet), CONNECTION_CLOSE (0x02), PING (0x07),
// CRYPTO (0x08, offset and length as IETF varints) and ACK (0b01ntllmm).
func (s *side) gquicFrames(p []byte, limit int) error {
	r := frameReader{p}
	for len(r.b) > 0 {
		t := r.b[0]
		r.b = r.b[1:]
		switch {
		case t == 0x00:
			r.b = nil
		case t == 0x07:
			s.info.Pings++
		case t == 0x08:
			if err := s.cryptoFrame(&r, limit); err != nil {
				return err
			}
		case t == 0x02:
			if err := s.gquicClose(&r, 0); err != nil {
				return err
			}
		case t&0xc0 == 0x40:
			if err := r.gquicAck(t); err != nil {
				return err
			}
			s.info.Acks++
		default:
			return errFrameInInit
		}
	}
	return nil
}

// gquicClose reads Google QUIC's CONNECTION_CLOSE (after the type: an
// error code of 32 bits, a reason length of 16 bits, the reason), or with
// extra 4 its GOAWAY, whose code is followed by the last stream's ID. A
// CONNECTION_CLOSE closes the side.
func (s *side) gquicClose(r *frameReader, extra uint64) error {
	if uint64(len(r.b)) < 4+extra+2 {
		return errFrameShort
	}
	code := binary.BigEndian.Uint32(r.b)
	n := binary.BigEndian.Uint16(r.b[4+extra:])
	r.b = r.b[4+extra+2:]
	if !r.skip(uint64(n)) {
		return errFrameShort
	}
	if extra == 0 {
		s.close(uint64(code))
	}
	return nil
}

// gquicAck skips a Google QUIC ACK frame: type 0b01ntllmm with n "more
// than one block", ll the largest-acked length and mm the block length
// (1, 2, 4 or 6 bytes); then the ACK delay, blocks and timestamps.
func (r *frameReader) gquicAck(t byte) error {
	sizes := [4]uint64{1, 2, 4, 6}
	largest, block := sizes[t>>2&3], sizes[t&3]
	if !r.skip(largest + 2) { // largest acked, ACK delay (ufloat16)
		return errFrameShort
	}
	blocks := 0
	if t&0x20 != 0 {
		if len(r.b) < 1 {
			return errFrameShort
		}
		blocks = int(r.b[0])
		r.b = r.b[1:]
	}
	if !r.skip(block) || !r.skip(uint64(blocks)*(1+block)) { // first block; gap + length each
		return errFrameShort
	}
	if len(r.b) < 1 {
		return errFrameShort
	}
	stamps := uint64(r.b[0])
	r.b = r.b[1:]
	if stamps > 0 {
		// delta and time of the first (1 + 4 bytes), then delta and
		// time since the previous one (1 + 2 bytes) for each other
		if !r.skip(5 + (stamps-1)*3) {
			return errFrameShort
		}
	}
	return nil
}

// zeroRun returns the number of zero bytes b starts with, eight at a time:
// PADDING fills most of a client's first Initial.
func zeroRun(b []byte) int {
	n := 0
	for n+8 <= len(b) && binary.LittleEndian.Uint64(b[n:]) == 0 {
		n += 8
	}
	for n < len(b) && b[n] == 0 {
		n++
	}
	return n
}
