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

	hsClientHello     = tlsrecord.ClientHello
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
	full    bool // stopped at the byte limit, the messages unfinished
	broken  bool // stopped at framing that cannot be right (firstMessagesComplete)
	scanned int  // stream bytes looked at while scanning
	// carry holds the last bytes of the previous chunk, for a start split
	// across chunks (a hello start needs 6 bytes, an alert 7).
	carry  [carryLen]byte
	carryN uint8
	buf    []byte
	ovpn   *ovpnStream // OpenVPN over TCP: the TLS bytes come out of its framing
	// start is the stream offset of buf's first byte (the hello record's
	// header), once capturing.
	start int
}

const carryLen = 6

// needsMore reports whether the capture still wants stream bytes.
func (h *hsCapture) needsMore() bool { return h.stage != hsDone }

// markGap records that bytes are missing from the stream. Inside a
// handshake this ends the capture: what follows cannot be framed.
func (h *hsCapture) markGap() {
	if h.ovpn != nil {
		// OpenVPN's framing is lost with the bytes; a hello it was
		// handing on is cut by the capture, not by its sender.
		h.gap = h.gap || h.stage == hsCapturing
		h.stage = hsDone
		return
	}
	switch h.stage {
	case hsCapturing:
		h.gap = true
		h.stage = hsDone
	case hsScanning:
		h.carryN = 0
	}
}

// Which starts a scan accepts: the direction's role decides, unless the
// roles were only guessed from port numbers. A server may answer a
// ClientHello with an alert instead of its hello; that is accepted only
// once the other direction's ClientHello was found.
const (
	acceptClient = 1 << iota
	acceptServer
	acceptAlert
)

// feed gives the capture the next in-order stream bytes. streamOff is the
// offset of data[0] in the direction's stream (0 for its first byte).
func (h *hsCapture) feed(data []byte, streamOff int, accept uint8, limit, scanLimit int) {
	if h.ovpn == nil && streamOff < ovpnStartLen && h.stage == hsScanning && int(h.carryN) == streamOff {
		// The stream's first bytes, perhaps over several chunks: the scan
		// carried the earlier ones.
		var start [ovpnStartLen]byte
		n := copy(start[:], h.carry[:h.carryN])
		n += copy(start[n:], data)
		if n == ovpnStartLen && looksOpenVPN(start[:], accept) {
			h.ovpn = newOVPNStream()
			h.carryN, h.scanned = 0, 0 // the scan starts over on the TLS bytes
			h.feedOpenVPN(start[:streamOff], accept, limit, scanLimit)
		}
	}
	if h.ovpn != nil {
		h.feedOpenVPN(data, accept, limit, scanLimit)
		return
	}
	h.feedTLS(data, streamOff, accept, limit, scanLimit)
}

// feedOpenVPN hands the TLS bytes of an OpenVPN control channel to the
// capture. Without a TLS start in the first scanLimit bytes of the stream
// it gives up, as a plain scan does.
func (h *hsCapture) feedOpenVPN(data []byte, accept uint8, limit, scanLimit int) {
	o := h.ovpn
	for len(data) > 0 && h.stage != hsDone {
		tls, rest, gap := o.next(data)
		data = rest
		if gap {
			h.gap = h.stage == hsCapturing
			h.stage = hsDone
			return
		}
		if tls == nil {
			break
		}
		h.feedTLS(tls, o.tlsOff, accept, limit, scanLimit)
		o.tlsOff += len(tls)
	}
	if h.stage == hsScanning && o.raw >= scanLimit {
		h.stage = hsDone
	}
}

// feedTLS gives the capture the next in-order bytes of the TLS stream.
func (h *hsCapture) feedTLS(data []byte, streamOff int, accept uint8, limit, scanLimit int) {
	switch h.stage {
	case hsScanning:
		h.scan(data, streamOff, accept, limit, scanLimit)
	case hsCapturing:
		h.capture(data, limit)
	}
}

// found tells whether b starts a hello (or alert) the scan accepts, and
// which side's.
func found(b []byte, accept uint8) (ok, server bool) {
	if accept&acceptClient != 0 && tlsrecord.HelloStart(b, false) {
		return true, false
	}
	if accept&acceptServer != 0 && tlsrecord.HelloStart(b, true) {
		return true, true
	}
	if accept&acceptAlert != 0 && tlsrecord.AlertStart(b) {
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
		var joined [carryLen + tlsrecord.HeaderLen + 2]byte
		n := copy(joined[:], h.carry[:h.carryN])
		n += copy(joined[n:], data)
		for i := 0; i < int(h.carryN); i++ {
			if ok, server := found(joined[i:n], accept); ok && !afterCCS(joined[:i]) {
				h.stage, h.server = hsCapturing, server
				h.start = streamOff - int(h.carryN) + i
				h.buf = append(make([]byte, 0, 2048), joined[i:h.carryN]...)
				h.capture(data, limit)
				return
			}
		}
	}
	if i, server := firstStart(data, h.carry[:h.carryN], accept); i >= 0 {
		h.server, h.start = server, streamOff+i
		h.begin(data[i:], limit)
		return
	}
	h.scanned += len(data)
	if h.scanned >= scanLimit {
		h.stage = hsDone
		return
	}
	// Keep the last bytes: a start may continue in the next chunk.
	if len(data) >= carryLen {
		h.carryN = uint8(copy(h.carry[:], data[len(data)-carryLen:]))
	} else {
		keep := append(h.carry[:h.carryN:h.carryN], data...)
		if len(keep) > carryLen {
			keep = keep[len(keep)-carryLen:]
		}
		h.carryN = uint8(copy(h.carry[:], keep))
	}
}

// firstStart is the offset of the first start in data the scan accepts
// (a hello record, or an alert record when accepted), or -1, and whether
// it is the server's. prev are the stream bytes just before data.
func firstStart(data, prev []byte, accept uint8) (at int, server bool) {
	at, server = scanFor(data, prev, tlsrecord.Handshake, accept)
	if accept&acceptAlert != 0 && at != 0 {
		before := data
		if at > 0 {
			before = data[:at] // only an alert that ends before the hello starts
		}
		if a, _ := scanFor(before, prev, tlsrecord.Alert, accept); a >= 0 && (at < 0 || a < at) {
			at, server = a, true
		}
	}
	return at, server
}

// scanFor finds the first offset where a record of content type typ
// starts that found accepts, and that no change_cipher_spec record
// comes just before (prev: the stream bytes before data).
func scanFor(data, prev []byte, typ byte, accept uint8) (at int, server bool) {
	for i := 0; i+tlsrecord.HeaderLen < len(data); i++ {
		j := bytes.IndexByte(data[i:len(data)-tlsrecord.HeaderLen], typ)
		if j < 0 {
			return -1, false
		}
		i += j
		if ok, server := found(data[i:], accept); ok && !afterCCS(before(data, prev, i)) {
			return i, server
		}
	}
	return -1, false
}

// ccsLen is the length of a whole change_cipher_spec record: a header
// and its one byte.
const ccsLen = tlsrecord.HeaderLen + 1

// afterCCS reports whether b, the bytes before a candidate start, ends in
// a change_cipher_spec record: what follows one is encrypted, and an
// encrypted Finished is a handshake record whose first byte is that of a
// hello one time in 256. No hello follows a change_cipher_spec, so a
// capture that starts (or resumes after lost packets) there finds none.
func afterCCS(b []byte) bool {
	if len(b) < ccsLen {
		return false
	}
	t := b[len(b)-ccsLen:]
	return t[0] == tlsrecord.ChangeCipherSpec && tlsrecord.ValidHeader(t[:tlsrecord.HeaderLen]) && t[3] == 0 && t[4] == 1 && t[5] == 1
}

// before returns up to ccsLen stream bytes before data[i], taking the
// start from prev when i is that close to data's start.
func before(data, prev []byte, i int) []byte {
	if i >= ccsLen {
		return data[i-ccsLen : i]
	}
	return append(append(make([]byte, 0, ccsLen), prev[max(0, len(prev)-(ccsLen-i)):]...), data[:i]...)
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
	done, broken := firstMessagesComplete(h.buf, h.server, h.sslv2)
	switch {
	case done:
		h.stage, h.broken = hsDone, broken
	case len(h.buf) >= limit:
		h.stage, h.full = hsDone, true
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

// firstRecordWhole reports whether b holds its first TLS record whole.
func firstRecordWhole(b []byte) bool {
	return len(b) >= tlsrecord.HeaderLen && len(b) >= tlsrecord.HeaderLen+(int(b[3])<<8|int(b[4]))
}
