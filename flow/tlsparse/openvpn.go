package tlsparse

import (
	"bytes"
	"encoding/binary"
)

// OpenVPN over TCP frames each packet with a 2-byte length; a packet's
// first byte holds its opcode (high five bits) and key id (low three),
// and a control packet's next 8 bytes its sender's session id. A
// connection opens with a hard reset (client's or server's) under key
// id 0. Its TLS handshake rides in the control channel, where the flow
// layer reads it (flow.Flow.OpenVPN); with tls-crypt the control channel
// is encrypted, and such a stream is labelled openvpn here, from its
// framing. (openvpn: src/openvpn/ssl_pkt.h.)
const (
	ovpnHardResetClientV2 = 7
	ovpnHardResetServerV2 = 8
	ovpnHardResetClientV3 = 10 // tls-crypt-v2

	ovpnSessionID = 8
	// A hard reset holds at least the opcode byte, the session id, the
	// ack array's count (1) and the message packet id (4).
	ovpnMinReset = 1 + ovpnSessionID + 1 + 4
	// ovpnMaxPacket bounds a control packet's length: tls-mtu (1250 by
	// default) plus its headers.
	ovpnMaxPacket = 2048
)

// ovpnFollowers are the control opcodes that may follow a hard reset in
// the same direction: the reset again (resent), a soft reset (3), a
// control packet (4), an ack (5) and a control packet with a wrapped
// client key (11). Each carries the sender's session id.
var ovpnFollowers = [...]uint8{ovpnHardResetClientV2, ovpnHardResetServerV2, ovpnHardResetClientV3, 3, 4, 5, 11}

// looksOpenVPN reports whether b, the start of one direction of a stream,
// is OpenVPN's TCP framing: a hard reset under key id 0, whole, then the
// head of a control packet of the same session (its 8-byte session id
// repeated). The session id is what tells it from other length-prefixed
// protocols (DNS over TCP opens with a length too): a reset alone is
// left unnamed.
func looksOpenVPN(b []byte) bool {
	first, rest, ok := ovpnPacket(b)
	if !ok || len(first) < ovpnMinReset || first[0]&7 != 0 {
		return false
	}
	switch first[0] >> 3 {
	case ovpnHardResetClientV2, ovpnHardResetServerV2, ovpnHardResetClientV3:
	default:
		return false
	}
	// The next packet may run past what Sniff looks at: its length, opcode
	// and session id are enough.
	if len(rest) < 2+1+ovpnSessionID {
		return false
	}
	if m := int(binary.BigEndian.Uint16(rest)); m < 1+ovpnSessionID || m > ovpnMaxPacket {
		return false
	}
	next := rest[2:]
	op := next[0] >> 3
	for _, f := range ovpnFollowers {
		if op == f {
			return bytes.Equal(first[1:1+ovpnSessionID], next[1:1+ovpnSessionID])
		}
	}
	return false
}

// ovpnPacket splits the first whole packet off b: its bytes after the
// length, and what follows.
func ovpnPacket(b []byte) (pkt, rest []byte, ok bool) {
	if len(b) < 2 {
		return nil, nil, false
	}
	n := int(binary.BigEndian.Uint16(b))
	if n == 0 || n > ovpnMaxPacket || len(b) < 2+n {
		return nil, nil, false
	}
	return b[2 : 2+n], b[2+n:], true
}
