package flow

import (
	"bytes"
	"encoding/binary"

	"github.com/tlsentry/tlsentry/flow/tlsrecord"
)

// OpenVPN over TCP frames every packet with a 2-byte length; the packet's
// first byte holds its opcode (high five bits) and key id. The TLS
// handshake rides in the control channel, P_CONTROL_V1 packets, split at
// OpenVPN's own size: scanning the raw stream for a record start finds a
// piece of it, so the handshake capture reads the framing instead and
// keeps the TLS bytes of the control channel, in message order.
//
// A control packet holds, after the opcode byte: the session id (8
// bytes), with tls-auth an HMAC, packet id and time (the HMAC's size
// depends on the configuration and is not on the wire), the ack array (a
// count, that many 4-byte packet ids, and the peer's session id when the
// count is not zero), the message packet id (4 bytes), then the TLS
// bytes. (openvpn: src/openvpn/ssl_pkt.h, reliable.c.)
const (
	ovpnControlV1       = 4
	ovpnHardResetClient = 7  // P_CONTROL_HARD_RESET_CLIENT_V2
	ovpnHardResetServer = 8  // P_CONTROL_HARD_RESET_SERVER_V2
	ovpnHardResetV3     = 10 // P_CONTROL_HARD_RESET_CLIENT_V3 (tls-crypt-v2)

	ovpnSessionID = 8
	// ovpnMaxControl bounds a control packet kept while it is read
	// (tls-mtu defaults to 1250 bytes); a longer one ends the capture.
	ovpnMaxControl = 4096
	// ovpnMaxTries: control packets without a readable TLS start before
	// the capture gives up (tls-crypt encrypts them all).
	ovpnMaxTries = 4
)

// ovpnAuthLens are the tls-auth layouts tried, in bytes between the
// session id and the ack array: none, then HMACs of MD5, SHA-1, SHA-256,
// SHA-384 and SHA-512 with the 8 bytes of packet id and time.
var ovpnAuthLens = [...]int{0, 16 + 8, 20 + 8, 32 + 8, 48 + 8, 64 + 8}

// ovpnStartLen is how many bytes looksOpenVPN needs.
const ovpnStartLen = 3

// looksOpenVPN reports whether a stream opens with an OpenVPN hard reset
// in TCP framing: the client's (V2 or V3) or the server's, key id 0.
func looksOpenVPN(b []byte, accept uint8) bool {
	if len(b) < ovpnStartLen {
		return false
	}
	n := int(binary.BigEndian.Uint16(b))
	if n < 1+ovpnSessionID+1+4 || n > 1536 {
		return false
	}
	switch b[2] {
	case ovpnHardResetClient << 3, ovpnHardResetV3 << 3:
		return accept&acceptClient != 0
	case ovpnHardResetServer << 3:
		return accept&acceptServer != 0
	}
	return false
}

// ovpnFollowers are the control opcodes that may follow a hard reset in
// the same direction, each with the sender's session id: the reset again
// (resent), a soft reset (3), a control packet, an ack (5) and a control
// packet with a wrapped client key (11).
var ovpnFollowers = [...]uint8{ovpnHardResetClient, ovpnHardResetServer, ovpnHardResetV3, 3, ovpnControlV1, 5, 11}

// OpenVPNSession reports whether b, the start of one direction of a
// stream, is OpenVPN's TCP framing: a hard reset under key id 0, whole,
// then the head of a control packet that repeats its 8-byte session id.
// The session id is what tells it from other length-prefixed protocols
// (DNS over TCP opens with a length too): a reset alone says too little.
// With tls-crypt no TLS shows in such a stream, and tlsparse.Sniff names
// it from this.
func OpenVPNSession(b []byte) bool {
	if !looksOpenVPN(b, acceptClient|acceptServer) {
		return false
	}
	n := int(binary.BigEndian.Uint16(b))
	if len(b) < 2+n+2+1+ovpnSessionID {
		return false // cut inside the reset, or too little of the next packet
	}
	next := b[2+n:]
	if m := int(binary.BigEndian.Uint16(next)); m < 1+ovpnSessionID || m > ovpnMaxControl {
		return false
	}
	for _, f := range ovpnFollowers {
		if next[2]>>3 == f {
			return bytes.Equal(b[3:3+ovpnSessionID], next[3:3+ovpnSessionID])
		}
	}
	return false
}

// ovpnStream takes OpenVPN's TCP framing off one direction's stream.
type ovpnStream struct {
	lenBuf [2]byte
	lenN   int
	left   int    // bytes of the current packet still to come
	fresh  bool   // the current packet's opcode byte is still to come
	keep   bool   // the current packet is a control packet, kept in pkt
	pkt    []byte // the control packet being read, opcode byte on
	auth   int    // the tls-auth layout found; -1 until then
	nextID uint32 // the message packet id expected next
	tries  int    // control packets that held no readable TLS start
	tlsOff int    // TLS bytes handed on so far
	raw    int    // stream bytes read
	failed bool   // framing lost: no more TLS can come
}

func newOVPNStream() *ovpnStream { return &ovpnStream{auth: -1} }

// next reads data until a control packet's TLS bytes are complete and
// returns them (aliasing the stream's packet buffer until the next call)
// with the data not read yet. It returns nil TLS bytes when data ran out
// first, and gap set when a control message is missing (lost, or beyond
// what can be read).
func (o *ovpnStream) next(data []byte) (tls, rest []byte, gap bool) {
	for len(data) > 0 && !o.failed {
		if o.left == 0 {
			n := copy(o.lenBuf[o.lenN:], data)
			o.lenN += n
			data = data[n:]
			o.raw += n
			if o.lenN < 2 {
				break
			}
			o.lenN = 0
			o.left = int(binary.BigEndian.Uint16(o.lenBuf[:]))
			o.fresh, o.keep, o.pkt = o.left > 0, false, o.pkt[:0]
			continue
		}
		if o.fresh {
			o.fresh = false
			o.keep = data[0]>>3 == ovpnControlV1 && data[0]&7 == 0
			if o.keep && o.left > ovpnMaxControl {
				o.failed = true
				return nil, nil, true
			}
		}
		n := min(o.left, len(data))
		if o.keep {
			if o.pkt == nil {
				o.pkt = make([]byte, 0, 1400)
			}
			o.pkt = append(o.pkt, data[:n]...)
		}
		data, o.left = data[n:], o.left-n
		o.raw += n
		if o.left > 0 || !o.keep {
			continue
		}
		tls, gap := o.control(o.pkt)
		if gap {
			o.failed = true
			return nil, nil, true
		}
		if len(tls) > 0 {
			return tls, data, false
		}
	}
	return nil, data, false
}

// control reads one whole P_CONTROL_V1 packet and returns its TLS bytes
// when they are the next in order.
func (o *ovpnStream) control(pkt []byte) (tls []byte, gap bool) {
	if o.auth < 0 {
		for _, a := range ovpnAuthLens {
			if t, id, ok := controlPayload(pkt, a); ok && opensTLS(t) {
				o.auth, o.nextID = a, id
				break
			}
		}
		if o.auth < 0 {
			o.tries++
			return nil, o.tries >= ovpnMaxTries
		}
	}
	t, id, ok := controlPayload(pkt, o.auth)
	switch {
	case !ok:
		return nil, true
	case id < o.nextID:
		return nil, false // a retransmission
	case id > o.nextID:
		return nil, true // a message is missing
	}
	o.nextID++
	return t, false
}

// controlPayload parses a control packet with auth bytes of tls-auth
// fields: its message packet id and TLS bytes.
func controlPayload(pkt []byte, auth int) (tls []byte, id uint32, ok bool) {
	off := 1 + ovpnSessionID + auth
	if off >= len(pkt) {
		return nil, 0, false
	}
	acks := int(pkt[off])
	off += 1 + 4*acks
	if acks > 0 {
		off += ovpnSessionID
	}
	if off+4 > len(pkt) {
		return nil, 0, false
	}
	return pkt[off+4:], binary.BigEndian.Uint32(pkt[off:]), true
}

// opensTLS reports whether b starts the handshake record of a hello.
func opensTLS(b []byte) bool {
	return tlsrecord.HelloStart(b, false) || tlsrecord.HelloStart(b, true)
}
