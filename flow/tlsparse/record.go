package tlsparse

import (
	"errors"
	"fmt"

	"github.com/tlsentry/tlsentry/flow/tlsrecord"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// them (test with errors.Is).
var (
	// ErrTruncated: the input ends before the message or record does. More
	// bytes of the stream would let the parse go further.
	ErrTruncated = errors.New("tlsparse: truncated")
	// ErrNotTLS: the input does not start with a TLS record header (nor an
	// SSLv2 ClientHello).
	ErrNotTLS = errors.New("tlsparse: not TLS")
	// ErrMalformed: the bytes are framed as TLS but break its grammar (a
	// length that overruns its container, an odd-length cipher list, a
	// handshake message interrupted by another content type...).
	ErrMalformed = errors.New("tlsparse: malformed")
	// ErrNoHello: the stream is TLS but does not start with the expected
	// hello (for example a server stream that opens with a
	// ChangeCipherSpec). A server that answers with an alert instead is
	// no error: its flight holds the alert.
	ErrNoHello = errors.New("tlsparse: no hello message")
)

func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)
}

// ContentType is the TLS record content type.
type ContentType uint8

// Record content types (RFC 8446 5.1, RFC 6520).
const (
	ContentChangeCipherSpec ContentType = 20
	ContentAlert            ContentType = 21
	ContentHandshake        ContentType = 22
	ContentApplicationData  ContentType = 23
	ContentHeartbeat        ContentType = 24
)

func (t ContentType) String() string {
	switch t {
	case ContentChangeCipherSpec:
		return "change_cipher_spec"
	case ContentAlert:
		return "alert"
	case ContentHandshake:
		return "handshake"
	case ContentApplicationData:
		return "application_data"
	case ContentHeartbeat:
		return "heartbeat"
	}
	return fmt.Sprintf("content_type(%d)", uint8(t))
}

// Handshake message types used by this package.
const (
	typeClientHello       = 1
	typeServerHello       = 2
	typeHelloRetryDraft   = 6 // TLS 1.3 drafts before 22 only
	typeCertificate       = 11
	typeServerKeyExchange = 12
	typeServerHelloDone   = 14
)

const (
	// RecordHeaderLen is the size of a TLS record header.
	RecordHeaderLen = tlsrecord.HeaderLen
	// MaxRecordLen is the largest record payload accepted: 2^14 plus the
	// 2048 bytes of expansion RFC 8446 5.2 allows for a ciphertext.
	MaxRecordLen = tlsrecord.MaxLen
)

// Record is one TLS record as found in the stream.
type Record struct {
	Type    ContentType
	Version uint16 // record-layer version (0x0300-0x0304)
	Length  int    // payload length declared in the header
	// Fragment is the part of the payload present in the input; shorter than
	// Length when the input is cut. It aliases the input.
	Fragment []byte
}

// NextRecord reads the record at the start of b and returns it with the
// bytes that follow it. When b holds only part of the record, it returns the
// part it has, a nil rest and an error wrapping ErrTruncated. A header that
// cannot be TLS gives an error wrapping ErrNotTLS.
func NextRecord(b []byte) (rec Record, rest []byte, err error) {
	if !tlsrecord.ValidHeader(b) {
		return Record{}, b, errorf(ErrNotTLS, "bad record header % x", b[:min(len(b), RecordHeaderLen)])
	}
	if len(b) < RecordHeaderLen {
		return Record{}, nil, errorf(ErrTruncated, "record header: %d of 5 bytes", len(b))
	}
	rec = Record{
		Type:    ContentType(b[0]),
		Version: uint16(b[1])<<8 | uint16(b[2]),
		Length:  int(b[3])<<8 | int(b[4]),
	}
	body := b[RecordHeaderLen:]
	if len(body) < rec.Length {
		rec.Fragment = body
		return rec, nil, &recordCut{rec.Type, len(body), rec.Length}
	}
	rec.Fragment = body[:rec.Length]
	return rec, body[rec.Length:], nil
}

// hsReader reassembles the handshake-message byte stream carried by the
// consecutive handshake records at the start of a stream, and cuts it into
// messages. It stops at the first record that is not a handshake record.
type hsReader struct {
	rest  []byte // input after the records consumed so far
	buf   []byte // handshake bytes not yet returned as messages
	owned bool   // buf is a private copy (it may be appended to)

	recVersion uint16 // version of the first record
	stopped    bool   // a non-handshake record ended the handshake stream
	stop       Record // that record, when stopped
	end        error  // nil, or why no more records can be read (truncated / garbage)
}

// init starts r on stream. r is filled in place (not returned) so that it
// can live on the caller's stack.
func (r *hsReader) init(stream []byte) error {
	*r = hsReader{rest: stream}
	if len(stream) == 0 {
		return errorf(ErrTruncated, "empty stream")
	}
	rec, rest, err := NextRecord(stream)
	if err != nil && !errors.Is(err, ErrTruncated) {
		return err
	}
	if len(stream) < RecordHeaderLen {
		return err
	}
	r.recVersion = rec.Version
	if rec.Type != ContentHandshake {
		r.stop, r.stopped = rec, true
		return nil
	}
	r.buf, r.rest, r.end = rec.Fragment, rest, err
	return nil
}

// initMessages starts r on a stream of handshake messages without record
// headers (a QUIC CRYPTO stream): all of it is handshake bytes, and no
// record follows.
func (r *hsReader) initMessages(stream []byte) {
	*r = hsReader{buf: stream}
}

// pull appends the next handshake record's fragment to buf. It returns false
// when no more handshake bytes can come.
func (r *hsReader) pull() bool {
	if r.stopped || r.end != nil {
		return false
	}
	if len(r.rest) == 0 {
		r.end = errStreamEnds
		return false
	}
	rec, rest, err := NextRecord(r.rest)
	if err != nil && !errors.Is(err, ErrTruncated) {
		r.end = errorf(ErrMalformed, "record after the handshake: %v", err)
		return false
	}
	if len(r.rest) < RecordHeaderLen {
		r.end = err
		return false
	}
	if rec.Type != ContentHandshake {
		r.stop, r.stopped = rec, true // left unconsumed in r.rest
		return false
	}
	switch {
	case len(r.buf) == 0:
		// Nothing to join (one message per record, the common layout):
		// read the record where it is.
		r.buf, r.owned = rec.Fragment, false
	case !r.owned:
		// Never more than the input holds, whatever the wire lengths say.
		nb := make([]byte, len(r.buf), len(r.buf)+len(r.rest))
		copy(nb, r.buf)
		r.buf, r.owned = append(nb, rec.Fragment...), true
	default:
		r.buf = append(r.buf, rec.Fragment...)
	}
	r.rest, r.end = rest, err
	return true
}

// next returns the next handshake message (4-byte header included). It may
// alias the input or a reassembly buffer: callers copy what they keep (see
// own). When the message is incomplete it
// returns the bytes it has and an error wrapping ErrTruncated (input ended)
// or ErrMalformed (another content type interrupted it). When no bytes of a
// further message exist it returns a nil message and a nil error.
func (r *hsReader) next() (msg []byte, err error) {
	for len(r.buf) < 4 || len(r.buf) < 4+msgLen(r.buf) {
		if !r.pull() {
			break
		}
	}
	if len(r.buf) == 0 {
		return nil, nil
	}
	if len(r.buf) >= 4 && len(r.buf) >= 4+msgLen(r.buf) {
		n := 4 + msgLen(r.buf)
		msg, r.buf = r.buf[:n:n], r.buf[n:]
		return msg, nil
	}
	msg, r.buf = r.buf, nil
	if r.stopped {
		return msg, errorf(ErrMalformed, "handshake message cut by a %s record", r.stop.Type)
	}
	if r.end != nil && !errors.Is(r.end, ErrTruncated) {
		return msg, r.end
	}
	want := -1
	if len(msg) >= 4 {
		want = 4 + msgLen(msg)
	}
	return msg, &messageCut{msg[0], len(msg), want}
}

// skipStop consumes the non-handshake record that stopped the reader when
// it is a ChangeCipherSpec record (middlebox-compatibility CCS after a
// HelloRetryRequest), so that reading can go on. It reports whether it did.
func (r *hsReader) skipStop() bool {
	if !r.stopped || r.stop.Type != ContentChangeCipherSpec || len(r.buf) != 0 {
		return false
	}
	_, rest, err := NextRecord(r.rest)
	r.stop, r.stopped, r.rest = Record{}, false, rest
	if err != nil {
		r.end = err
	}
	return true
}

func msgLen(b []byte) int { return int(b[1])<<16 | int(b[2])<<8 | int(b[3]) }

// own returns an exact-size private copy of b, so that results neither
// alias the caller's stream nor pin a larger reassembly buffer.
func own(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}
