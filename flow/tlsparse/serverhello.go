package tlsparse

import (
	"errors"

	"github.com/tlsentry/tlsentry/flow/tlsrecord"
)

// ServerHello is a parsed ServerHello or HelloRetryRequest. Byte slices
// alias Raw, a private copy of the message (FromFlow: the flow's own
// bytes).
type ServerHello struct {
	// Raw is the handshake message (header included), or the SSLv2 record.
	Raw       []byte
	SSLv2     bool // an SSLv2 ServerHello
	Truncated bool // the stream ended inside the message

	Version uint16 // legacy_version (server_version)
	// SelectedVersion is the version the server chose: the supported_versions
	// extension when present (TLS 1.3), else Version.
	SelectedVersion   uint16
	Random            []byte
	SessionID         []byte
	CipherSuite       uint16
	CipherSpecsV2     []uint32 // SSLv2 only
	CompressionMethod uint8
	// Extensions in the order sent.
	Extensions    []Extension
	ALPN          string // protocol selected in the ServerHello (TLS 1.2 and older; TLS 1.3 sends it encrypted)
	KeyShareGroup uint16 // group of the key_share extension, if any
	// HelloRetryRequest is set when the message is a HelloRetryRequest: a
	// ServerHello with the special random of RFC 8446 4.1.3 (or, in TLS 1.3
	// drafts before 22, handshake type 6).
	HelloRetryRequest bool

	suiteRead  bool // CipherSuite was read (HasCipherSuite)
	draftRetry bool // a HelloRetryRequest of handshake type 6, whose suite is not read
}

// HasExtension reports whether the server sent an extension of type t.
func (sh *ServerHello) HasExtension(t uint16) bool { return hasExtension(sh.Extensions, t) }

// HasCipherSuite reports whether CipherSuite holds the suite the server
// chose: not for an SSLv2 hello (CipherSpecsV2), a draft
// HelloRetryRequest, or a hello cut before its cipher suite, whose zero
// CipherSuite is no TLS_NULL_WITH_NULL_NULL.
func (sh *ServerHello) HasCipherSuite() bool {
	return !sh.SSLv2 && (sh.suiteRead || !sh.Truncated && !sh.draftRetry)
}

// selected is SelectedVersion, whether it came from the legacy version
// field, and whether the hello told it. A whole hello always does. A
// truncated one does when its supported_versions extension was read, or
// when its legacy version is not TLS 1.2's: a TLS 1.3 server puts 0x0303
// there and its version in supported_versions, so older versions and the
// drafts before 22 (which put theirs there) are told by the field alone.
func (sh *ServerHello) selected() (v uint16, legacy, ok bool) {
	legacy = sh.SSLv2 || !sh.HasExtension(ExtSupportedVersions)
	if sh.Truncated && legacy && (sh.Version == 0 || sh.Version == VersionTLS12) {
		return 0, legacy, false
	}
	return sh.SelectedVersion, legacy, true
}

// Alert is a cleartext TLS alert.
type Alert struct {
	Level       uint8 // 1 warning, 2 fatal
	Description uint8 // e.g. 40 handshake_failure, 70 protocol_version
}

// ServerFlight is what a server sends in clear at the start of a
// connection: its hello and, up to TLS 1.2, its certificate chain.
type ServerFlight struct {
	RecordVersion uint16 // version of the first record; 0x0002 for SSLv2
	// ServerHello is the server's hello; after a HelloRetryRequest it is the
	// ServerHello that followed, nil if the stream stops before it.
	ServerHello *ServerHello
	// HelloRetryRequest is set when the server first asked the client for a
	// new ClientHello.
	HelloRetryRequest *ServerHello
	// MessageTypes lists the cleartext handshake message types seen, in
	// order (2 ServerHello, 11 Certificate, 12 ServerKeyExchange, 14
	// ServerHelloDone...).
	MessageTypes []uint8
	// Chain holds the DER certificates of the first Certificate message,
	// leaf first (only complete certificates when the message was cut).
	// TLS 1.3 certificates are encrypted and never appear here.
	Chain [][]byte
	// Leaf summarises Chain[0]; nil when there is no certificate.
	Leaf *Certificate
	// Alert is the cleartext alert that ended the handshake stream, if any.
	Alert *Alert
	// Truncated is set when the stream ended before the flight did (before
	// ServerHelloDone in TLS 1.2 and older).
	Truncated bool
	// ChainCut is set when the Certificate message is cut short (a chain
	// larger than what was kept): Chain holds the certificates that are
	// whole, the leaf first.
	ChainCut bool

	endedByCCS bool // the clear flight ended with a ChangeCipherSpec record

	certs    *CertCache   // where leaf certificates are parsed; nil: no cache
	store    *serverStore // while parsing: where the hello and lists go
	copyMsgs bool         // while parsing: copy messages rather than alias the stream
}

// ParseServerFlight parses the start of a server stream: the ServerHello
// (following a HelloRetryRequest if there is one) and, when the selected
// version is TLS 1.2 or older, the handshake messages up to ServerHelloDone,
// summarising the Certificate message. It stops at the first record that is
// not a handshake record (ChangeCipherSpec, alert, application data).
//
// A server may send a warning alert before its hello (unrecognized_name)
// or answer with an alert instead (handshake_failure, protocol_version):
// the flight reports it in Alert, and an alert instead of the hello is no
// error.
//
// The result is nil only when neither a ServerHello header nor an alert
// was found. When the stream ends
// before the flight is complete, the result holds what was parsed,
// Truncated is set and the error wraps ErrTruncated. A certificate that
// crypto/x509 rejects is reported in Leaf.CertError, not as an error.
func ParseServerFlight(stream []byte) (*ServerFlight, error) {
	return ParseServerFlightCached(stream, nil)
}

// ParseServerFlightCached is ParseServerFlight with leaf certificates
// looked up in (and added to) certs.
func ParseServerFlightCached(stream []byte, certs *CertCache) (*ServerFlight, error) {
	return parseServerFlight(stream, certs, nil, false, true)
}

// parseServerFlight is ParseServerFlightCached parsing into s (a new store
// when nil). With messages the stream holds handshake messages without
// record headers (a QUIC CRYPTO stream). With copyMsgs the flight gets
// private copies of its messages, else it aliases stream.
func parseServerFlight(stream []byte, certs *CertCache, s *serverStore, messages, copyMsgs bool) (*ServerFlight, error) {
	if len(stream) == 0 {
		return nil, errorf(ErrTruncated, "empty stream")
	}
	if !messages && stream[0]&0x80 != 0 {
		if len(stream) < tlsrecord.SSLv2ServerHelloMin && tlsrecord.MaybeSSLv2(stream, tlsrecord.SSLv2ServerHello) {
			return nil, errorf(ErrTruncated, "SSLv2 header")
		}
		if tlsrecord.IsSSLv2ServerHello(stream) {
			return parseSSLv2ServerHello(stream, certs, copyMsgs)
		}
		return nil, errorf(ErrNotTLS, "high bit set but not an SSLv2 ServerHello")
	}
	if s == nil {
		s = new(serverStore)
	}
	f := &s.f
	*f = ServerFlight{certs: certs}
	var r hsReader
	if messages {
		r.initMessages(stream)
	} else {
		if len(stream) >= 3 {
			f.RecordVersion = uint16(stream[1])<<8 | uint16(stream[2])
		}
		f.Alert, stream = skipWarnings(stream)
		if len(stream) == 0 {
			return f, nil // a warning, and nothing after it yet
		}
		if err := r.init(stream); err != nil {
			if f.Alert == nil {
				return nil, err
			}
			f.Truncated = errors.Is(err, ErrTruncated)
			return f, err
		}
	}
	if r.stopped {
		f.noteStop(&r.stop)
		if r.stop.Type == ContentAlert && f.Alert != nil {
			return f, nil // the server refused the ClientHello
		}
		return f, errorf(ErrNoHello, "stream starts with a %s record", r.stop.Type)
	}
	f.store, f.copyMsgs = s, copyMsgs
	err := f.parse(&r)
	f.store, f.copyMsgs = nil, false // parsing state only
	if err != nil && errors.Is(err, ErrTruncated) {
		f.Truncated = true
	}
	if f.ServerHello == nil && f.HelloRetryRequest == nil && f.Alert == nil {
		return nil, err
	}
	return f, err
}

// skipWarnings takes the whole warning alerts a server may send before
// its hello (unrecognized_name) off the start of stream, and returns the
// last of them.
func skipWarnings(stream []byte) (*Alert, []byte) {
	var last *Alert
	for tlsrecord.AlertStart(stream) && stream[tlsrecord.HeaderLen] == 1 {
		last = &Alert{Level: 1, Description: stream[tlsrecord.HeaderLen+1]}
		stream = stream[tlsrecord.HeaderLen+2:]
	}
	return last, stream
}

func (f *ServerFlight) noteStop(rec *Record) {
	if rec.Type == ContentAlert && len(rec.Fragment) >= 2 {
		f.Alert = &Alert{Level: rec.Fragment[0], Description: rec.Fragment[1]}
	}
}

// parse reads handshake messages until the flight is complete.
func (f *ServerFlight) parse(r *hsReader) error {
	for {
		msg, err := r.next()
		if msg == nil {
			if r.stopped && f.ServerHello == nil && f.HelloRetryRequest != nil && r.skipStop() {
				continue // CCS after a HelloRetryRequest: the ServerHello follows
			}
			return f.end(r)
		}
		typ := msg[0]
		if f.MessageTypes == nil {
			f.MessageTypes = f.store.types[:0]
		}
		f.MessageTypes = append(f.MessageTypes, typ)
		if f.ServerHello == nil {
			if typ != typeServerHello && typ != typeHelloRetryDraft {
				return errorf(ErrNoHello, "handshake message type %d where a ServerHello was expected", typ)
			}
			sh, perr := f.parseHello(f.ownMsg(msg))
			if sh.HelloRetryRequest && f.HelloRetryRequest == nil {
				f.HelloRetryRequest = sh
			} else {
				f.ServerHello = sh
			}
			if perr != nil {
				return perr
			}
			if err != nil {
				return err
			}
			if f.ServerHello != nil && isTLS13(f.ServerHello.SelectedVersion) {
				return nil // the rest of the flight is encrypted
			}
			continue
		}
		if typ == typeCertificate && f.Chain == nil {
			f.parseCertificateMessage(f.ownMsg(msg))
		}
		if err != nil {
			return err
		}
		if typ == typeServerHelloDone {
			return nil
		}
	}
}

// end decides the outcome when no more handshake messages come.
func (f *ServerFlight) end(r *hsReader) error {
	if r.stopped {
		f.noteStop(&r.stop)
		f.endedByCCS = r.stop.Type == ContentChangeCipherSpec
		if f.ServerHello == nil && f.HelloRetryRequest == nil {
			return errorf(ErrNoHello, "no ServerHello before a %s record", r.stop.Type)
		}
		return nil // CCS (resumption), alert...: the cleartext flight is over
	}
	if r.end != nil {
		return r.end
	}
	return errorf(ErrTruncated, "stream ends before the server flight does")
}

// parseCertificateMessage extracts the DER certificates of a TLS 1.2-style
// Certificate message (keeping the complete ones when it is cut) and
// summarises the leaf.
func (f *ServerFlight) parseCertificateMessage(msg []byte) {
	if len(msg) < 4 {
		return
	}
	f.ChainCut = len(msg) < 4+msgLen(msg)
	r := newReader(msg[4:], msgLen(msg), "certificate")
	list, ok := r.vec(3, "certificate list")
	if !ok {
		return
	}
	f.Chain = f.store.chain[:0]
	for !list.empty() {
		der, ok := list.vec(3, "certificate")
		if !ok || list.err != nil {
			break
		}
		f.Chain = append(f.Chain, der.b)
	}
	if len(f.Chain) > 0 {
		f.Leaf = f.certs.Parse(f.Chain[0])
	}
}

// ParseServerHelloMessage parses one ServerHello handshake message (4-byte
// header included, no record layer). msg may be cut short; the result
// aliases msg.
func ParseServerHelloMessage(msg []byte) (*ServerHello, error) {
	return parseServerHello(msg, new(ServerHello), nil)
}

// ownMsg is msg, copied when the flight must not alias its stream.
func (f *ServerFlight) ownMsg(msg []byte) []byte {
	if f.copyMsgs {
		return own(msg)
	}
	return msg
}

// parseHello parses a ServerHello (or HelloRetryRequest) of the flight:
// the first into the store, a second one (after a HelloRetryRequest) on
// its own.
func (f *ServerFlight) parseHello(msg []byte) (*ServerHello, error) {
	if f.HelloRetryRequest == nil {
		return parseServerHello(msg, &f.store.sh, f.store.exts[:0])
	}
	return parseServerHello(msg, new(ServerHello), nil)
}

// parseServerHello parses msg into sh, its extensions appended to exts
// (an empty slice over spare room, or nil).
func parseServerHello(msg []byte, sh *ServerHello, exts []Extension) (*ServerHello, error) {
	sh.Raw = msg
	if len(msg) < 4 {
		sh.Truncated = true
		return sh, errorf(ErrTruncated, "server hello header: %d of 4 bytes", len(msg))
	}
	if msg[0] != typeServerHello && msg[0] != typeHelloRetryDraft {
		return sh, errorf(ErrNoHello, "handshake message type %d is not a ServerHello", msg[0])
	}
	r := newReader(msg[4:], msgLen(msg), "server hello")
	var err error
	if msg[0] == typeHelloRetryDraft {
		sh.HelloRetryRequest, sh.draftRetry = true, true
		sh.Version, _ = r.u16("version")
		sh.SelectedVersion = sh.Version
		err = r.err
	} else {
		err = sh.parseBody(r, exts)
	}
	if err != nil && errors.Is(err, ErrTruncated) {
		sh.Truncated = true
	}
	return sh, err
}

func (sh *ServerHello) parseBody(r reader, room []Extension) error {
	var ok bool
	if sh.Version, ok = r.u16("version"); !ok {
		return r.err
	}
	sh.SelectedVersion = sh.Version
	if sh.Random, ok = r.take(32, "random"); !ok {
		return r.err
	}
	sh.HelloRetryRequest = tlsrecord.IsHelloRetryRandom(sh.Random)
	// TLS 1.3 drafts before 22 put their version here and had no session
	// id or compression method. RFC 8446 servers send 0x0303 here, so
	// 0x0304 also means an early draft implementation.
	draft := sh.Version>>8 == 0x7f && sh.Version&0xff < 22 || sh.Version == VersionTLS13
	if !draft {
		sid, ok := r.vec(1, "session id")
		if !ok || r.err != nil {
			return r.err
		}
		sh.SessionID = sid.b
	}
	if sh.CipherSuite, ok = r.u16("cipher suite"); !ok {
		return r.err
	}
	sh.suiteRead = true
	if !draft {
		if sh.CompressionMethod, ok = r.u8("compression method"); !ok {
			return r.err
		}
	}
	if r.empty() {
		return nil
	}
	exts, ok := r.vec(2, "extensions")
	if !ok {
		return r.err
	}
	for !exts.empty() && exts.err == nil {
		typ, data, ok := exts.extension()
		if !ok {
			break
		}
		if sh.Extensions == nil {
			sh.Extensions = room
		}
		sh.Extensions = append(sh.Extensions, Extension{Type: typ, Data: data.b})
		sh.parseExtension(typ, &data)
	}
	if exts.err != nil {
		return exts.err
	}
	return r.err
}

func (sh *ServerHello) parseExtension(typ uint16, r *reader) {
	switch typ {
	case ExtSupportedVersions:
		if v, ok := r.u16("selected version"); ok {
			sh.SelectedVersion = v
		}
	case ExtALPN:
		if list, ok := r.vec(2, "protocol name list"); ok {
			if p, ok := list.vec(1, "protocol name"); ok && list.err == nil {
				sh.ALPN = protocolName(p.b)
			}
		}
	case ExtKeyShare:
		sh.KeyShareGroup, _ = r.u16("group")
	}
}

// parseSSLv2ServerHello parses an SSLv2 ServerHello: version, certificate
// and cipher specs.
func parseSSLv2ServerHello(stream []byte, certs *CertCache, copyMsg bool) (*ServerFlight, error) {
	n := int(stream[0]&0x7f)<<8 | int(stream[1])
	present := min(n, len(stream)-2)
	raw := stream[:2+present]
	if copyMsg {
		raw = own(raw)
	}
	sh := &ServerHello{Raw: raw, SSLv2: true}
	f := &ServerFlight{RecordVersion: VersionSSL20, ServerHello: sh, MessageTypes: []uint8{4}, certs: certs}
	r := newReader(raw[2:], n, "SSLv2 server hello")
	r.u8("message type")
	r.u8("session id hit")
	r.u8("certificate type")
	sh.Version, _ = r.u16("version")
	sh.SelectedVersion = sh.Version
	certLen, _ := r.u16("certificate length")
	csLen, _ := r.u16("cipher specs length")
	connLen, ok := r.u16("connection id length")
	if ok && csLen%3 != 0 {
		return f, errorf(ErrMalformed, "SSLv2 server hello: cipher specs length %d", csLen)
	}
	if cert, ok := r.sub(int(certLen), "certificate"); ok && r.err == nil && certLen > 0 {
		f.Chain = [][]byte{cert.b}
		f.Leaf = f.certs.Parse(cert.b)
	}
	if specs, ok := r.sub(int(csLen), "cipher specs"); ok {
		for b := specs.b; len(b) >= 3; b = b[3:] {
			sh.CipherSpecsV2 = append(sh.CipherSpecsV2, uint32(b[0])<<16|uint32(b[1])<<8|uint32(b[2]))
		}
	}
	r.sub(int(connLen), "connection id")
	if r.err != nil && errors.Is(r.err, ErrTruncated) {
		sh.Truncated, f.Truncated = true, true
	}
	return f, r.err
}
