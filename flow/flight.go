package flow

import "github.com/tlsentry/tlsentry/flow/tlsrecord"

// firstMessagesComplete reports whether buf, starting at a record header,
// holds the handshake messages the sensor keeps: the ClientHello for a
// client; for a server its clear flight from the ServerHello to the
// ServerHelloDone (certificate and key exchange included), or up to the
// first non-handshake record (ChangeCipherSpec, TLS 1.3's encrypted
// records, an alert, whose two bytes are waited for). After a TLS 1.3
// HelloRetryRequest the ChangeCipherSpec a server may send for middlebox
// compatibility does not end the flight: the real ServerHello follows it;
// nor does a warning alert before the ServerHello.
// Framing that makes no sense also ends the capture (broken): nothing
// more can be parsed from it, and a flow is decided by it (EndDecided).
func firstMessagesComplete(buf []byte, server, sslv2 bool) (done, broken bool) {
	if sslv2 {
		return len(buf) >= tlsrecord.SSLv2Len(buf), false
	}
	var w flightWalk
	pos := 0
	for pos+tlsrecord.HeaderLen <= len(buf) {
		if !tlsrecord.ValidHeader(buf[pos : pos+tlsrecord.HeaderLen]) {
			return true, true // a record followed by bytes that are no record
		}
		typ := buf[pos]
		rl := int(buf[pos+3])<<8 | int(buf[pos+4])
		end := pos + tlsrecord.HeaderLen + rl
		if typ != recordHandshake {
			switch {
			case server && typ == tlsrecord.ChangeCipherSpec && w.retry && w.headN == 0:
				// Skipped: the real ServerHello follows.
			case typ == tlsrecord.Alert && end > len(buf):
				return false, false // wait for the alert's level and description
			case server && typ == tlsrecord.Alert && rl == 2 && buf[pos+tlsrecord.HeaderLen] == 1 && !w.sawHello && w.headN == 0:
				// A warning before the hello (unrecognized_name): the hello may follow.
			default:
				return true, false // ChangeCipherSpec, alert or encrypted data: the clear part is over
			}
		} else if w.walk(buf[pos+tlsrecord.HeaderLen:min(end, len(buf))], server) {
			return true, w.broken
		}
		if end > len(buf) {
			return false, false
		}
		pos = end
	}
	return false, false
}

// flightWalk follows the handshake messages across records, keeping the
// first bytes of the current one: enough to tell a HelloRetryRequest.
type flightWalk struct {
	head     [tlsrecord.HelloRetryProbe + 1]byte // + the ClientHello's session id length
	headN    int                                 // bytes of the current message in head (0: between messages)
	left     int                                 // bytes of the current message body still to come
	sawHello bool                                // a ServerHello (or HelloRetryRequest) was seen
	retry    bool                                // the last one was a HelloRetryRequest
	broken   bool                                // a ClientHello whose lengths cannot be right
}

// walk consumes one handshake record's body and reports whether the kept
// messages are complete.
func (w *flightWalk) walk(body []byte, server bool) bool {
	for len(body) > 0 {
		if w.headN < 4 {
			n := copy(w.head[w.headN:4], body)
			w.headN += n
			body = body[n:]
			if w.headN < 4 {
				return false
			}
			w.left = int(w.head[1])<<16 | int(w.head[2])<<8 | int(w.head[3])
		}
		n := min(w.left, len(body))
		if w.headN < len(w.head) {
			w.headN += copy(w.head[w.headN:], body[:n])
		}
		if !server && badClientHello(w.head[:w.headN]) {
			w.broken = true
			return true
		}
		body, w.left = body[n:], w.left-n
		if w.left > 0 {
			return false
		}
		if w.messageEnds(server) {
			return true
		}
		w.headN = 0
	}
	return false
}

// ClientHello bounds (RFC 8446 4.1.2, RFC 5246 7.4.1.2): at least a
// version, the random, an empty session id, one cipher suite and one
// compression method; at most all of its vectors full.
const (
	minClientHello = 2 + 32 + 1 + 2 + 2 + 1 + 1
	maxClientHello = 2 + 32 + 1 + 32 + 2 + 65534 + 1 + 255 + 2 + 65535
	helloSIDAt     = 4 + 2 + 32 // the session id length, in the message
)

// badClientHello reports whether the first bytes of a client's first
// handshake message (header on) show lengths that cannot be right: a
// message too short or too long for a ClientHello, a legacy version whose
// major is not 3, a session id longer than 32 bytes. It checks the bytes
// present only.
func badClientHello(m []byte) bool {
	if len(m) < 4 || m[0] != tlsrecord.ClientHello {
		return false
	}
	n := int(m[1])<<16 | int(m[2])<<8 | int(m[3])
	return n < minClientHello || n > maxClientHello ||
		len(m) > 4 && m[4] != 3 || len(m) > helloSIDAt && m[helloSIDAt] > 32
}

// messageEnds is called when a whole handshake message has been seen and
// says whether the kept messages are complete.
func (w *flightWalk) messageEnds(server bool) bool {
	if !server {
		return true // the first message is the ClientHello (or garbage): done either way
	}
	switch w.head[0] {
	case hsServerHello, tlsrecord.HelloRetryDraft:
		w.sawHello = true
		w.retry = tlsrecord.IsHelloRetryRequest(w.head[:w.headN])
		return false
	case hsServerHelloDone:
		return true // the end of the clear server flight (TLS 1.2 and older)
	default:
		return !w.sawHello // anything but a ServerHello first cannot be followed
	}
}
