package quic

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// Google QUIC before Q050 (Q039 to Q046, what Chrome spoke to Google's
// servers from 2017 to 2020) sends its handshake in clear: a packet's
// payload is a 12-byte message hash (FNV-1a 128 over the header, the
// frames and the sender's role, "Client" or "Server") and then frames in
// Google's own encoding, the CHLO and REJ riding STREAM frames of stream 1.
// Q039 to Q043 use Google's public header (a flags byte, an 8-byte
// connection ID, the version while the client negotiates, a diversification
// nonce from the server, a 1- to 6-byte packet number); Q046 uses a long
// header shaped like IETF QUIC's drafts without their length field. The
// hash tells a packet in clear from an encrypted one exactly; only the
// former are read. Q044 and Q045 (short-lived) are not read.

const (
	legacyHashLen  = 12
	legacyCryptoID = 1  // the stream the handshake messages ride
	legacyNonceLen = 32 // diversification nonce (server packets)
	legacyCIDLen   = 8  // public header connection ID
	// legacyMinFirst is the least a client's first packet may hold: the
	// longest header, to read it without checking lengths (real ones
	// are padded to over 1200 bytes).
	legacyMinFirst = 1 + legacyCIDLen + 4 + legacyNonceLen + 6
)

// Public header flags.
const (
	pubVersion = 0x01
	pubReset   = 0x02
	pubNonce   = 0x04
	pubCID     = 0x08
)

var (
	errLegacyReset  = fmt.Errorf("%w: Google QUIC public reset", ErrProtocol)
	errLegacyHeader = fmt.Errorf("%w: Google QUIC header cut short", ErrMalformed)
	errLegacyStream = fmt.Errorf("%w: Google QUIC STREAM frame beyond 2^62 bytes", ErrProtocol)
)

// legacyNumber is the number of a Google version "Q0nn" (39 for Q039), or
// -1 for any other version.
func legacyNumber(v Version) int {
	d1, d2 := byte(v>>8)-'0', byte(v)-'0'
	if v>>16 != 0x5130 || d1 > 9 || d2 > 9 {
		return -1
	}
	return int(d1)*10 + int(d2)
}

// IsLegacyGoogle reports whether v is one of Google's versions whose
// handshake this package reads in clear (Q039 to Q043, Q046).
func IsLegacyGoogle(v Version) bool {
	n := legacyNumber(v)
	return n >= 39 && n <= 43 || n == 46
}

// legacyPacket is one Google QUIC packet's header, as far as reading it in
// clear needs.
type legacyPacket struct {
	version  Version // the header's version, 0 when it carries none
	header   int     // header length: where the message hash starts
	pnLen    int     // packet number length (STOP_WAITING's field size)
	longType int     // Q046 long header: its type bits; -1 for other headers
}

// parseLegacyHeader reads the header of a datagram of a flow whose version
// is v (a legacy one), sent by the client or the server.
func parseLegacyHeader(b []byte, v Version, fromClient bool) (legacyPacket, error) {
	if len(b) == 0 {
		return legacyPacket{}, errLegacyHeader
	}
	p := legacyPacket{longType: -1}
	if v == VersionQ046 {
		if b[0]&0x80 == 0 {
			// A short header: encrypted by now. Its connection ID is the
			// 8-byte one or none; nothing in it is read.
			return p, nil
		}
		if len(b) < 6 {
			return p, errLegacyHeader
		}
		p.version = Version(binary.BigEndian.Uint32(b[1:5]))
		p.longType = int(b[0]>>4) & 3
		dcil, scil := int(b[5]>>4), int(b[5]&0x0f)
		if dcil > 0 {
			dcil += 3
		}
		if scil > 0 {
			scil += 3
		}
		p.pnLen = int(b[0]&3) + 1
		p.header = 6 + dcil + scil + p.pnLen
	} else {
		f := b[0]
		if f&pubReset != 0 {
			return p, errLegacyReset
		}
		n := 1
		if f&pubCID != 0 {
			n += legacyCIDLen
		}
		if f&pubVersion != 0 {
			if !fromClient {
				// The server's version flag marks a Version Negotiation
				// packet: a list of versions, no frames.
				return p, nil
			}
			if len(b) < n+4 {
				return p, errLegacyHeader
			}
			p.version = Version(binary.BigEndian.Uint32(b[n:]))
			n += 4
		}
		if f&pubNonce != 0 && !fromClient {
			n += legacyNonceLen
		}
		p.pnLen = [4]int{1, 2, 4, 6}[f>>4&3]
		p.header = n + p.pnLen
	}
	if len(b) < p.header+legacyHashLen {
		return p, errLegacyHeader
	}
	return p, nil
}

// inClear reports whether a packet with header length h is sent in clear:
// its message hash is the one the sender's role gives.
func inClear(b []byte, h int, fromClient bool) bool {
	role := "Server"
	if fromClient {
		role = "Client"
	}
	var sum fnv128
	sum.init()
	sum.write(b[:h])
	sum.write(b[h+legacyHashLen:])
	sum.writeString(role)
	want := b[h : h+legacyHashLen]
	return binary.LittleEndian.Uint64(want) == sum.lo && binary.LittleEndian.Uint32(want[8:]) == uint32(sum.hi)
}

// fnv128 is FNV-1a with 128 bits, Google QUIC's null encryption hash.
type fnv128 struct{ hi, lo uint64 }

func (h *fnv128) init() { h.hi, h.lo = 0x6c62272e07bb0142, 0x62b821756295c58d }

// mul multiplies by the FNV-128 prime, 2^88 + 0x13b, modulo 2^128.
func (h *fnv128) mul() {
	hi, lo := bits.Mul64(h.lo, 0x13b)
	hi += h.hi*0x13b + h.lo<<24 // h * 2^88: the low word shifted into the high one
	h.hi, h.lo = hi, lo
}

func (h *fnv128) write(b []byte) {
	for _, c := range b {
		h.lo ^= uint64(c)
		h.mul()
	}
}

func (h *fnv128) writeString(s string) {
	for i := 0; i < len(s); i++ {
		h.lo ^= uint64(s[i])
		h.mul()
	}
}

// legacyDatagram reads one datagram of a legacy Google QUIC flow: a packet
// in clear gives its frames, an encrypted one is counted.
func (c *Conn) legacyDatagram(b []byte, fromClient bool) {
	s := c.sideOf(fromClient)
	p, err := parseLegacyHeader(b, c.info.Version, fromClient)
	switch {
	case err != nil:
		s.info.Malformed++
		c.note(err)
		return
	case p.header == 0:
		s.info.ShortHeader++ // a short header, or the server's version list
		return
	case p.longType > 0 || s.legacyChecks >= maxInitials:
		// Encrypted (0-RTT, handshake keys), or past the packets worth a
		// look: a handshake in clear takes a few, and a long flow's
		// encrypted packets must not cost a hash each.
		s.info.OtherLong++
		return
	}
	s.legacyChecks++
	if !inClear(b, p.header, fromClient) {
		s.info.OtherLong++ // encrypted with the handshake's later keys
		return
	}
	s.info.Initials++
	s.info.Decrypted++
	if err := s.legacyFrames(b[p.header+legacyHashLen:], p.pnLen, c.cryptoLimit()); err != nil {
		s.info.ProtocolErrors++
		c.note(err)
	}
	s.info.CryptoBytes = len(s.stream.contiguous())
}

// legacyFrames parses the frames of a packet in clear: PADDING (the rest),
// RST_STREAM, CONNECTION_CLOSE, GOAWAY, WINDOW_UPDATE, BLOCKED,
// STOP_WAITING (a packet-number-sized field), PING, ACK (0b01ntllmm) and
// STREAM (0b1fdooo ss), whose stream 1 data goes to the side's handshake
// stream.
func (s *side) legacyFrames(p []byte, pnLen, limit int) error {
	r := frameReader{p}
	for len(r.b) > 0 {
		t := r.b[0]
		r.b = r.b[1:]
		switch {
		case t&0x80 != 0:
			if err := s.legacyStream(&r, t, limit); err != nil {
				return err
			}
		case t&0xc0 == 0x40:
			if err := r.gquicAck(t); err != nil {
				return err
			}
			s.info.Acks++
		case t == 0x00:
			r.b = nil
		case t == 0x01: // RST_STREAM: stream, byte offset, error code
			if !r.skip(4 + 8 + 4) {
				return errFrameShort
			}
		case t == 0x02, t == 0x03: // CONNECTION_CLOSE; GOAWAY adds a stream
			if err := s.gquicClose(&r, 4*uint64(t-0x02)); err != nil {
				return err
			}
		case t == 0x04: // WINDOW_UPDATE: stream, byte offset
			if !r.skip(4 + 8) {
				return errFrameShort
			}
		case t == 0x05: // BLOCKED: stream
			if !r.skip(4) {
				return errFrameShort
			}
		case t == 0x06: // STOP_WAITING: least unacked delta
			if !r.skip(uint64(pnLen)) {
				return errFrameShort
			}
		case t == 0x07:
			s.info.Pings++
		default:
			return errFrameInInit
		}
	}
	return nil
}

// legacyStream reads a STREAM frame: type 1 f d ooo ss, then the stream
// ID (ss+1 bytes), the offset (none, or ooo+1 bytes), the data length (2
// bytes when d is set, else the data runs to the packet's end).
func (s *side) legacyStream(r *frameReader, t byte, limit int) error {
	idLen := uint64(t&3) + 1
	offLen := uint64(t >> 2 & 7)
	if offLen > 0 {
		offLen++
	}
	if uint64(len(r.b)) < idLen+offLen {
		return errFrameShort
	}
	id := beUint(r.b[:idLen])
	off := beUint(r.b[idLen : idLen+offLen])
	r.b = r.b[idLen+offLen:]
	n := uint64(len(r.b))
	if t&0x20 != 0 {
		if len(r.b) < 2 {
			return errFrameShort
		}
		n = uint64(binary.BigEndian.Uint16(r.b))
		r.b = r.b[2:]
	}
	data, ok := r.take(n)
	if !ok {
		return errFrameShort
	}
	if off > maxCryptoEnd-n {
		return errLegacyStream
	}
	if id == legacyCryptoID {
		s.crypto(off, data, limit)
	}
	return nil
}

// beUint is a big-endian number of up to 8 bytes.
func beUint(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

// legacyClientVersion reports the version of a client's first datagram
// in Google QUIC before Q050, read in clear: a public header with a
// connection ID and a version of Q039 to Q043, or a Q046 long header,
// whose message hash checks. Anything else is not one.
func legacyClientVersion(b []byte) (Version, bool) {
	if len(b) < legacyMinFirst {
		return 0, false
	}
	var v Version
	switch {
	case b[0]&0xc0 == 0xc0:
		v = Version(binary.BigEndian.Uint32(b[1:5]))
		if v != VersionQ046 {
			return 0, false
		}
	case b[0]&(0x80|0x40|pubReset|pubVersion|pubCID) == pubVersion|pubCID:
		v = Version(binary.BigEndian.Uint32(b[1+legacyCIDLen:]))
		if n := legacyNumber(v); n < 39 || n > 43 {
			return 0, false
		}
	default:
		return 0, false
	}
	p, err := parseLegacyHeader(b, v, true)
	if err != nil || p.longType > 0 || p.header == 0 || !inClear(b, p.header, true) {
		return 0, false
	}
	return v, true
}

// startLegacy takes a client's first datagram in Google QUIC before Q050
// for the flow's version, and its connection ID lengths; a datagram of any
// other kind leaves the Conn as it was.
func (c *Conn) startLegacy(b []byte) {
	v, ok := legacyClientVersion(b)
	if !ok {
		return
	}
	c.info.Version = v
	if v != VersionQ046 {
		c.info.DCIDLen = legacyCIDLen
		return
	}
	c.info.DCIDLen, c.info.SCIDLen = int(b[5]>>4), int(b[5]&0x0f)
	if c.info.DCIDLen > 0 {
		c.info.DCIDLen += 3
	}
	if c.info.SCIDLen > 0 {
		c.info.SCIDLen += 3
	}
}
