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
// Framing that makes no sense also ends the capture: nothing more can be
// parsed from it.
func firstMessagesComplete(buf []byte, server, sslv2 bool) bool {
	if sslv2 {
		return len(buf) >= tlsrecord.SSLv2Len(buf)
	}
	var w flightWalk
	pos := 0
	for pos+tlsrecord.HeaderLen <= len(buf) {
		if buf[pos+1] != 3 {
			return true // not TLS framing any more
		}
		typ := buf[pos]
		rl := int(buf[pos+3])<<8 | int(buf[pos+4])
		end := pos + tlsrecord.HeaderLen + rl
		if rl > maxRecordLen {
			return true
		}
		if typ != recordHandshake {
			switch {
			case server && typ == tlsrecord.ChangeCipherSpec && w.retry && w.headN == 0:
				// Skipped: the real ServerHello follows.
			case typ == tlsrecord.Alert && end > len(buf):
				return false // wait for the alert's level and description
			case server && typ == tlsrecord.Alert && rl == 2 && buf[pos+tlsrecord.HeaderLen] == 1 && !w.sawHello && w.headN == 0:
				// A warning before the hello (unrecognized_name): the hello may follow.
			default:
				return true // ChangeCipherSpec, alert or encrypted data: the clear part is over
			}
		} else if w.walk(buf[pos+tlsrecord.HeaderLen:min(end, len(buf))], server) {
			return true
		}
		if end > len(buf) {
			return false
		}
		pos = end
	}
	return false
}

// flightWalk follows the handshake messages across records, keeping the
// first bytes of the current one: enough to tell a HelloRetryRequest.
type flightWalk struct {
	head     [tlsrecord.HelloRetryProbe]byte
	headN    int  // bytes of the current message in head (0: between messages)
	left     int  // bytes of the current message body still to come
	sawHello bool // a ServerHello (or HelloRetryRequest) was seen
	retry    bool // the last one was a HelloRetryRequest
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
