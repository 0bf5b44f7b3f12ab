package flow

import (
	"bytes"
	"encoding/binary"

	"github.com/tlsentry/tlsentry/flow/tlsrecord"
)

// TLS framing constants needed to bound the first handshake messages.
// Full parsing lives in flow/tlsparse; where TLS starts is decided by
// flow/tlsrecord, the rules the parsers use too. This file only decides
// when enough of the handshake has been kept.
const (
	recordHandshake = tlsrecord.Handshake
	maxRecordLen    = tlsrecord.MaxLen

	hsServerHello     = tlsrecord.ServerHello
	hsServerHelloDone = 14
)

type hsStage uint8

const (
	hsScanning  hsStage = iota // looking for the first handshake record
	hsCapturing                // keeping bytes until the first messages are complete
	hsDone                     // captured (or given up): needs no more bytes
)

// hsCapture follows one direction's byte stream and keeps its first TLS
// handshake messages. It finds where TLS starts (offset 0 normally, later
// after STARTTLS or a proxy CONNECT) by scanning for a record header that
// opens the expected hello, within scanLimit bytes.
type hsCapture struct {
	stage   hsStage
	server  bool // what was found: a ServerHello (true) or a ClientHello
	sslv2   bool
	gap     bool
	scanned int     // stream bytes looked at while scanning
	carry   [5]byte // last bytes of the previous chunk, for headers split across chunks
	carryN  uint8
	buf     []byte
}

// needsMore reports whether the capture still wants stream bytes.
func (h *hsCapture) needsMore() bool { return h.stage != hsDone }

// markGap records that bytes are missing from the stream. Inside a
// handshake this ends the capture: what follows cannot be framed.
func (h *hsCapture) markGap() {
	switch h.stage {
	case hsCapturing:
		h.gap = true
		h.stage = hsDone
	case hsScanning:
		h.carryN = 0
	}
}

// Which hellos a scan accepts: the direction's role decides, unless the
// roles were only guessed from port numbers.
const (
	acceptClient = 1 << iota
	acceptServer
)

// feed gives the capture the next in-order stream bytes. streamOff is the
// offset of data[0] in the direction's stream (0 for its first byte).
func (h *hsCapture) feed(data []byte, streamOff int, accept uint8, limit, scanLimit int) {
	switch h.stage {
	case hsScanning:
		h.scan(data, streamOff, accept, limit, scanLimit)
	case hsCapturing:
		h.capture(data, limit)
	}
}

// found tells whether b starts a hello the scan accepts, and which.
func found(b []byte, accept uint8) (ok, server bool) {
	if accept&acceptClient != 0 && tlsrecord.HelloStart(b, false) {
		return true, false
	}
	if accept&acceptServer != 0 && tlsrecord.HelloStart(b, true) {
		return true, true
	}
	return false, false
}

func (h *hsCapture) scan(data []byte, streamOff int, accept uint8, limit, scanLimit int) {
	if streamOff == 0 {
		for _, server := range [2]bool{false, true} {
			want := uint8(acceptClient)
			if server {
				want = acceptServer
			}
			if accept&want != 0 && isSSLv2Hello(data, server) {
				h.sslv2, h.server = true, server
				h.begin(data, limit)
				return
			}
		}
	}
	// Candidates that start inside the carried tail of the previous chunk.
	if h.carryN > 0 {
		var joined [5 + 6]byte
		n := copy(joined[:], h.carry[:h.carryN])
		n += copy(joined[n:], data)
		for i := 0; i < int(h.carryN); i++ {
			if ok, server := found(joined[i:n], accept); ok {
				h.stage, h.server = hsCapturing, server
				h.buf = append(make([]byte, 0, 2048), joined[i:h.carryN]...)
				h.capture(data, limit)
				return
			}
		}
	}
	for i := 0; i+6 <= len(data); i++ {
		j := bytes.IndexByte(data[i:len(data)-5], recordHandshake)
		if j < 0 {
			break
		}
		i += j
		if ok, server := found(data[i:], accept); ok {
			h.server = server
			h.begin(data[i:], limit)
			return
		}
	}
	h.scanned += len(data)
	if h.scanned >= scanLimit {
		h.stage = hsDone
		return
	}
	// Keep the last five bytes: a header may continue in the next chunk.
	if len(data) >= 5 {
		h.carryN = uint8(copy(h.carry[:], data[len(data)-5:]))
	} else {
		keep := append(h.carry[:h.carryN:h.carryN], data...)
		if len(keep) > 5 {
			keep = keep[len(keep)-5:]
		}
		h.carryN = uint8(copy(h.carry[:], keep))
	}
}

func (h *hsCapture) begin(data []byte, limit int) {
	h.stage = hsCapturing
	// Size for the first record (usually the whole ClientHello); a server's
	// certificates grow it by append.
	want := len(data)
	if !h.sslv2 && len(data) >= 5 {
		want = max(want, 5+int(binary.BigEndian.Uint16(data[3:5])))
	}
	h.buf = make([]byte, 0, min(limit, want))
	h.capture(data, limit)
}

func (h *hsCapture) capture(data []byte, limit int) {
	room := limit - len(h.buf)
	if len(data) > room {
		data = data[:room]
	}
	h.buf = append(h.buf, data...)
	if len(h.buf) >= limit || firstMessagesComplete(h.buf, h.server, h.sslv2) {
		h.stage = hsDone
	}
}

// isSSLv2Hello recognises an SSLv2 (or SSLv2-compatible) hello with a
// two-byte record header, which only ever opens a stream.
func isSSLv2Hello(b []byte, server bool) bool {
	if server {
		return tlsrecord.IsSSLv2ServerHello(b)
	}
	return tlsrecord.IsSSLv2ClientHello(b)
}

// firstMessagesComplete reports whether buf, starting at a record header,
// holds the handshake messages the sensor keeps: the ClientHello for a
// client; for a server its clear flight from the ServerHello to the
// ServerHelloDone (certificate and key exchange included), or up to the
// first non-handshake record (ChangeCipherSpec, TLS 1.3's encrypted
// records, an alert). Framing that makes no
// sense also ends the capture: nothing more can be parsed from it.
func firstMessagesComplete(buf []byte, server, sslv2 bool) bool {
	if sslv2 {
		return len(buf) >= tlsrecord.SSLv2Len(buf)
	}
	var (
		hdr      [4]byte // current handshake message header
		hdrN     int
		bodyLeft int // bytes of the current message body still to come
		sawHello bool
	)
	pos := 0
	for pos+5 <= len(buf) {
		if buf[pos+1] != 3 {
			return true // not TLS framing any more
		}
		typ := buf[pos]
		rl := int(binary.BigEndian.Uint16(buf[pos+3 : pos+5]))
		if rl > maxRecordLen {
			return true
		}
		if typ != recordHandshake {
			return true // alert, ChangeCipherSpec or encrypted data: the clear part is over
		}
		body := buf[pos+5 : min(pos+5+rl, len(buf))]
		for len(body) > 0 {
			if bodyLeft > 0 {
				n := min(bodyLeft, len(body))
				body, bodyLeft = body[n:], bodyLeft-n
				if bodyLeft > 0 {
					break
				}
				if done := messageEnds(hdr[0], server, &sawHello); done {
					return true
				}
				hdrN = 0
				continue
			}
			n := copy(hdr[hdrN:], body)
			hdrN += n
			body = body[n:]
			if hdrN < 4 {
				break
			}
			bodyLeft = int(hdr[1])<<16 | int(hdr[2])<<8 | int(hdr[3])
			if bodyLeft == 0 {
				if done := messageEnds(hdr[0], server, &sawHello); done {
					return true
				}
				hdrN = 0
			}
		}
		if pos+5+rl > len(buf) {
			return false
		}
		pos += 5 + rl
	}
	return false
}

// messageEnds is called when a whole handshake message of type t has been
// seen and says whether the kept messages are complete.
func messageEnds(t byte, server bool, sawHello *bool) bool {
	if !server {
		return true // the first message is the ClientHello (or garbage): done either way
	}
	switch t {
	case hsServerHello:
		*sawHello = true
		return false
	case hsServerHelloDone:
		return true // the end of the clear server flight (TLS 1.2 and older)
	default:
		return !*sawHello // anything but a ServerHello first cannot be followed
	}
}
