package tlsparse

import "bytes"

// WhatsApp's clients speak their own protocol to WhatsApp's chat servers,
// on 443 (where only web ports are open) as on 5222: "WA", two version
// bytes, then frames of a 3-byte length each. The first frame is a Noise
// handshake message (a protobuf whose field 2, the client's hello, comes
// first: 0x12) in today's clients, a FunXMPP list (0xf8, 0xf9) in old
// ones (2015's Android 2.12 sent it on 443). Meta's
// edge servers take an extra header in front: "ED", 0x00 0x01, then a
// 3-byte length and that many bytes of routing data.
const (
	waEdgeLen     = 4 + 3
	waMaxRouting  = 64
	waPrologueLen = 4
	waFrameHead   = 3
	// A first frame holds at least a hello's tag, length and key (32
	// bytes) and at most a few kilobytes.
	waMinFrame = 8
	waMaxFrame = 4096
)

var (
	waEdge = []byte("ED\x00\x01")
	waTag  = []byte("WA")
)

// looksWhatsApp reports whether b, a client's first bytes, is WhatsApp's
// framing: the prologue with version bytes that are no text, and a first
// frame of a plausible length that starts as a Noise hello or a FunXMPP
// list does.
func looksWhatsApp(b []byte) bool {
	if bytes.HasPrefix(b, waEdge) {
		if len(b) < waEdgeLen {
			return false
		}
		n := int(b[4])<<16 | int(b[5])<<8 | int(b[6])
		if n > waMaxRouting || len(b) < waEdgeLen+n {
			return false
		}
		b = b[waEdgeLen+n:]
	}
	if len(b) < waPrologueLen+waFrameHead+1 || !bytes.HasPrefix(b, waTag) || b[2] == 0 || b[2] > 15 || b[3] > 15 {
		return false
	}
	f := b[waPrologueLen:]
	m := int(f[0])<<16 | int(f[1])<<8 | int(f[2])
	if m < waMinFrame || m > waMaxFrame {
		return false
	}
	switch f[3] {
	case 0x12, 0xf8, 0xf9:
		return true
	}
	return false
}
