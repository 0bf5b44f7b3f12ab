package quic

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Errors. Every error this package reports wraps one of these.
var (
	// ErrMalformed: a packet or frame does not fit its own lengths.
	ErrMalformed = errors.New("quic: malformed")
	// ErrUnsupportedVersion: a long-header packet of a version whose
	// Initial keys or header layout this package does not know.
	ErrUnsupportedVersion = errors.New("quic: unsupported version")
	// ErrDecrypt: an Initial packet did not open with the Initial keys.
	ErrDecrypt = errors.New("quic: decryption failed")
	// ErrProtocol: a frame that an Initial packet may not carry, or a
	// packet that breaks the protocol in some other way.
	ErrProtocol = errors.New("quic: protocol violation")
)

// The errors below are built once so that bad input costs no allocation.
var (
	errNotLong       = fmt.Errorf("%w: not a long-header packet", ErrMalformed)
	errShortHeader   = fmt.Errorf("%w: long header cut short", ErrMalformed)
	errCIDTooLong    = fmt.Errorf("%w: connection ID longer than 20 bytes", ErrMalformed)
	errTokenLen      = fmt.Errorf("%w: token longer than the packet", ErrMalformed)
	errPacketLen     = fmt.Errorf("%w: length field beyond the datagram", ErrMalformed)
	errVNList        = fmt.Errorf("%w: version negotiation list not a multiple of 4 bytes", ErrMalformed)
	errRetryShort    = fmt.Errorf("%w: retry packet shorter than its integrity tag", ErrMalformed)
	errUnsupportedV  = fmt.Errorf("%w: no Initial keys for this version", ErrUnsupportedVersion)
	errSampleShort   = fmt.Errorf("%w: packet too short for the header protection sample", ErrMalformed)
	errAEAD          = fmt.Errorf("%w: authentication tag mismatch", ErrDecrypt)
	errKeyBudget     = fmt.Errorf("%w: too many key derivations for one flow", ErrDecrypt)
	errReserved      = fmt.Errorf("%w: reserved header bits set", ErrProtocol)
	errFrameInInit   = fmt.Errorf("%w: frame type not allowed in an Initial packet", ErrProtocol)
	errFrameShort    = fmt.Errorf("%w: frame cut short", ErrMalformed)
	errCryptoOffset  = fmt.Errorf("%w: CRYPTO frame beyond 2^62 bytes", ErrProtocol)
	errAckRanges     = fmt.Errorf("%w: ACK frame with more ranges than bytes", ErrMalformed)
	errVNFromClient  = fmt.Errorf("%w: version negotiation packet from the client", ErrProtocol)
	errRetryFromCl   = fmt.Errorf("%w: retry packet from the client", ErrProtocol)
	errServerFirst   = fmt.Errorf("%w: server Initial before any client Initial", ErrDecrypt)
	errInitialBudget = fmt.Errorf("%w: more Initial packets than one flow may decrypt", ErrProtocol)
)

// PacketType is the type of a long-header packet.
type PacketType uint8

// Long-header packet types (RFC 9000 section 17.2, RFC 9369 section 3.2).
const (
	PacketUnknown PacketType = iota // a version whose type bits this package does not know
	PacketInitial
	Packet0RTT
	PacketHandshake
	PacketRetry
	PacketVersionNegotiation
)

func (t PacketType) String() string {
	switch t {
	case PacketInitial:
		return "Initial"
	case Packet0RTT:
		return "0-RTT"
	case PacketHandshake:
		return "Handshake"
	case PacketRetry:
		return "Retry"
	case PacketVersionNegotiation:
		return "VersionNegotiation"
	}
	return "unknown"
}

// MaxCIDLen is the longest connection ID QUIC v1 allows (RFC 9000
// section 17.2); longer ones are refused.
const MaxCIDLen = 20

// LongHeader is the cleartext part of one long-header packet. Slices alias
// the datagram.
type LongHeader struct {
	First   byte // first byte, header protection still applied
	Version Version
	Type    PacketType
	DCID    []byte
	SCID    []byte
	Token   []byte // Initial: the token; Retry: the retry token
	// PNOffset is where the (protected) packet number starts, for Initial,
	// 0-RTT and Handshake packets.
	PNOffset int
	// Len is the length of the whole packet in the datagram: up to the end
	// of its Length field's count for Initial, 0-RTT and Handshake packets,
	// the rest of the datagram for Retry, Version Negotiation and
	// unsupported versions. Coalesced packets follow at Len.
	Len int
}

// ParseLongHeader parses the long-header packet at the start of b. For a
// version without known Initial keys it returns the version-independent
// fields (RFC 8999: version and connection IDs) with Type PacketUnknown and
// an error wrapping ErrUnsupportedVersion. It never reads outside b.
func ParseLongHeader(b []byte) (LongHeader, error) {
	var h LongHeader
	if len(b) < 7 || b[0]&0x80 == 0 {
		if len(b) > 0 && b[0]&0x80 == 0 {
			return h, errNotLong
		}
		return h, errShortHeader
	}
	h.First = b[0]
	h.Version = Version(binary.BigEndian.Uint32(b[1:5]))
	n := 5
	dcil := int(b[n])
	n++
	if dcil > MaxCIDLen {
		return h, errCIDTooLong
	}
	if n+dcil+1 > len(b) {
		return h, errShortHeader
	}
	h.DCID = b[n : n+dcil]
	n += dcil
	scil := int(b[n])
	n++
	if scil > MaxCIDLen {
		return h, errCIDTooLong
	}
	if n+scil > len(b) {
		return h, errShortHeader
	}
	h.SCID = b[n : n+scil]
	n += scil

	if h.Version == VersionNegotiation {
		h.Type = PacketVersionNegotiation
		h.Len = len(b)
		if rest := len(b) - n; rest == 0 || rest%4 != 0 {
			return h, errVNList
		}
		return h, nil
	}
	p := lookup(h.Version)
	if p == nil {
		h.Len = len(b)
		return h, errUnsupportedV
	}
	h.Type = p.packetType(b[0])
	switch h.Type {
	case PacketRetry:
		h.Len = len(b)
		if len(b)-n < retryTagLen {
			return h, errRetryShort
		}
		h.Token = b[n : len(b)-retryTagLen]
		return h, nil
	case PacketInitial:
		tokLen, k := readVarint(b[n:])
		if k == 0 {
			return h, errShortHeader
		}
		n += k
		if tokLen > uint64(len(b)-n) {
			return h, errTokenLen
		}
		h.Token = b[n : n+int(tokLen)]
		n += int(tokLen)
	}
	length, k := readVarint(b[n:])
	if k == 0 {
		return h, errShortHeader
	}
	n += k
	if length > uint64(len(b)-n) {
		return h, errPacketLen
	}
	h.PNOffset = n
	h.Len = n + int(length)
	return h, nil
}

// packetType maps the long-header type bits of a packet of this version.
func (p *params) packetType(first byte) PacketType {
	bits := first >> 4 & 3
	if p.v2Types {
		return [4]PacketType{PacketRetry, PacketInitial, Packet0RTT, PacketHandshake}[bits]
	}
	return [4]PacketType{PacketInitial, Packet0RTT, PacketHandshake, PacketRetry}[bits]
}

// readVarint reads a QUIC variable-length integer (RFC 9000 section 16);
// n is 0 when b is too short.
func readVarint(b []byte) (v uint64, n int) {
	if len(b) == 0 {
		return 0, 0
	}
	n = 1 << (b[0] >> 6)
	if len(b) < n {
		return 0, 0
	}
	v = uint64(b[0] & 0x3f)
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, n
}

// LooksLikeQUIC reports whether a UDP payload starts like a QUIC
// long-header packet: the long-header and fixed bits, a version this
// package knows of (or a greasing one), and connection IDs of at most 20
// bytes that fit; for versions it can decrypt, a whole header that parses,
// and then the fixed bit may be clear (RFC 9287).
// Version Negotiation packets (version 0) count too, and so does a
// client's first packet of Google QUIC before Q050, in clear (Q039 to Q043
// with their public header, Q046), whose message hash checks. It is meant
// for the first datagram of a UDP flow, to decide whether to give the flow
// a Conn.
func LooksLikeQUIC(payload []byte) bool {
	if _, ok := legacyClientVersion(payload); ok {
		return true
	}
	if len(payload) < 7 || payload[0]&0x80 == 0 {
		return false
	}
	v := Version(binary.BigEndian.Uint32(payload[1:5]))
	if v != VersionNegotiation && !v.Known() {
		return false
	}
	_, err := ParseLongHeader(payload)
	if payload[0]&0x40 == 0 && v != VersionNegotiation {
		// The QUIC bit cleared (RFC 9287's grease_quic_bit): a server's
		// Initial after its client's hello, or a client's that remembers
		// its server's support; only a whole header of a version with
		// keys counts, as the bit no longer rules out other protocols.
		return err == nil && v.Supported()
	}
	return err == nil || errors.Is(err, ErrUnsupportedVersion)
}
