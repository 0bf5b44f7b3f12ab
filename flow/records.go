package flow

import "github.com/tlsentry/tlsentry/flow/tlsrecord"

// Record headers. From a direction's first handshake record on, the
// table notes the header of each TLS record the direction sends (its first
// MaxRecordLog records, within the bytes a live capture passes: PrefixSize
// plus HandshakeLimit), and of a record in clear its first body bytes.
// The prefix and the kept handshake end with the first messages; what
// comes after them (a client's second flight, heartbeats, the first
// application data) is seen only here. Walking the headers costs a few
// comparisons per record: bodies are skipped, not kept.

// MaxRecordLog bounds the record headers noted per direction.
const MaxRecordLog = 16

// RecordHeader is one TLS record a direction sent.
type RecordHeader struct {
	Type uint8 // content type (20 change_cipher_spec ... 24 heartbeat)
	// Clear is set for a record sent before the direction's
	// change_cipher_spec: its body is readable.
	Clear bool
	// HeadLen is how many bytes of Head hold the body's first bytes (a
	// record in clear only): a handshake message's type and the top of its
	// length, a heartbeat message's type and declared payload length.
	HeadLen uint8
	Head    [3]byte
	Len     uint16 // declared body length
}

// recordWalk follows one direction's records from its first handshake
// record: it skips bodies and notes headers.
type recordWalk struct {
	on, done bool
	clear    bool // no change_cipher_spec yet
	next     int  // stream offset of the next header
	part     [tlsrecord.HeaderLen + 3]byte
	partN    uint8
	log      []RecordHeader
}

// start begins the walk at stream offset at, the first handshake record.
func (w *recordWalk) start(at int) {
	w.on, w.clear, w.next = true, true, at
	w.log = make([]RecordHeader, 0, MaxRecordLog)
}

// stop ends the walk (a gap, framing no TLS stack writes, the log full,
// the bytes past what a live capture passes).
func (w *recordWalk) stop() { w.done, w.partN = true, 0 }

// active reports whether the walk wants more bytes.
func (w *recordWalk) active() bool { return w.on && !w.done }

// feed walks data, the direction's in-order bytes at stream offset off;
// limit is the stream offset where the walk ends.
func (w *recordWalk) feed(data []byte, off, limit int) {
	for len(data) > 0 && w.active() {
		if off < w.next {
			skip := min(w.next-off, len(data))
			data, off = data[skip:], off+skip
			continue
		}
		if w.next >= limit {
			w.stop()
			return
		}
		// off == w.next + partN: collecting a header and its head.
		want := w.want()
		n := copy(w.part[w.partN:want], data)
		w.partN += uint8(n)
		data, off = data[n:], off+n
		if int(w.partN) < tlsrecord.HeaderLen {
			continue
		}
		if !tlsrecord.ValidHeader(w.part[:tlsrecord.HeaderLen]) {
			w.stop()
			return
		}
		if int(w.partN) < w.want() {
			continue
		}
		w.note()
	}
}

// want is how many bytes the current record's header and head take.
func (w *recordWalk) want() int {
	if w.partN < tlsrecord.HeaderLen || !w.clear {
		return tlsrecord.HeaderLen
	}
	return tlsrecord.HeaderLen + min(3, w.bodyLen())
}

func (w *recordWalk) bodyLen() int { return int(w.part[3])<<8 | int(w.part[4]) }

// note logs the collected header and moves to the next record.
func (w *recordWalk) note() {
	r := RecordHeader{Type: w.part[0], Clear: w.clear, Len: uint16(w.bodyLen())}
	if w.clear {
		r.HeadLen = uint8(copy(r.Head[:], w.part[tlsrecord.HeaderLen:w.partN]))
	}
	w.log = append(w.log, r)
	w.next += tlsrecord.HeaderLen + w.bodyLen()
	w.partN = 0
	if r.Type == tlsrecord.ChangeCipherSpec {
		w.clear = false
	}
	if len(w.log) == MaxRecordLog {
		w.stop()
	}
}

// settled reports whether the direction has gone past its handshake as
// far as a heartbeat would show: it sent application data, a heartbeat
// or an alert, or the walk ended.
func (w *recordWalk) settled() bool {
	return !w.active() || w.sent(tlsrecord.ApplicationData) || w.sent(tlsrecord.Heartbeat) || w.sent(tlsrecord.Alert)
}

// sent reports whether the log holds a record of content type typ.
func (w *recordWalk) sent(typ uint8) bool {
	for _, r := range w.log {
		if r.Type == typ {
			return true
		}
	}
	return false
}

// Heartbeat watch. A Heartbleed request comes after the hello, in clear
// before the client's change_cipher_spec or encrypted after its
// Finished, and the leak is the server's answer: past the first messages
// that complete a flow. So a connection whose server chose TLS 1.2 or
// older (TLS 1.3 has no heartbeats; a server that chose it says so with
// supported_versions) is followed a little further before it is handed
// out: until the client sends application data, a heartbeat or an alert,
// and, when it sent a heartbeat, until the server answers with one of
// those too (or the connection ends or holds still for the verdict
// timeout). The server's choice decides, not what the client offers: an
// exploit's client may offer anything, but a vulnerable server never
// chose TLS 1.3. A client's next flight follows the server's at once, so
// the wait is about a round trip.

// watchesHeartbeats reports whether a server's hello (the first record of
// its kept handshake) calls for the heartbeat watch.
func watchesHeartbeats(serverHello []byte) bool {
	return tlsrecord.HelloStart(serverHello, true) && serverHello[5] == tlsrecord.ServerHello &&
		!tlsrecord.HelloOffers(serverHello, tlsrecord.ExtSupportedVersions)
}

// heartbeatsSettled reports whether a watched connection has shown what
// the watch waits for.
func (c *conn) heartbeatsSettled() bool {
	if c.clientDir < 0 {
		return true
	}
	cl, sv := &c.halves[c.clientDir].recs, &c.halves[1-c.clientDir].recs
	if !cl.settled() {
		return false
	}
	return !cl.sent(tlsrecord.Heartbeat) || sv.settled()
}
