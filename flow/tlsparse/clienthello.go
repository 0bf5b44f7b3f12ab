package tlsparse

import (
	"errors"

	"github.com/tlsentry/tlsentry/flow/tlsrecord"
)

// ClientHello is a parsed ClientHello. Byte slices alias Raw, a private
// copy of the message, never the caller's stream (FromFlow: the flow's own
// bytes); the lists share one allocation with the hello.
type ClientHello struct {
	// Raw is the handshake message (4-byte header included) as reassembled
	// from its records, or the whole SSLv2 record for an SSLv2 hello. Only
	// the bytes present in the stream when Truncated.
	Raw []byte
	// SSLv2 is set for an SSLv2-format (SSLv2-compatible) ClientHello.
	SSLv2 bool
	// Truncated is set when the stream ended before the hello did; the
	// fields hold what came before the cut.
	Truncated bool

	RecordVersion uint16 // version of the first record; 0x0002 for SSLv2
	Version       uint16 // legacy_version (client_version) of the hello
	Random        []byte // 32 bytes; nil for SSLv2
	SessionID     []byte // its length is the session id length
	Challenge     []byte // SSLv2 only

	// CipherSuites in the order sent, GREASE included. For SSLv2 the cipher
	// specs whose first byte is zero, as 16-bit suites (what Wireshark and
	// ja3 keep).
	CipherSuites []uint16
	// CipherSpecsV2 holds the raw 3-byte SSLv2 cipher specs (SSLv2 only).
	CipherSpecsV2      []uint32
	CompressionMethods []uint8
	// Extensions in the order sent, GREASE included.
	Extensions []Extension

	ServerName          string   // first host_name of server_name
	ALPN                []string // application_layer_protocol_negotiation list
	SupportedVersions   []uint16 // supported_versions list, GREASE included
	SupportedGroups     []uint16 // supported_groups, GREASE included
	ECPointFormats      []uint8
	SignatureAlgorithms []uint16 // signature_algorithms, GREASE included
	KeyShareGroups      []uint16 // groups of key_share entries, GREASE included
	PSKModes            []uint8  // psk_key_exchange_modes

	SessionTicket bool // session_ticket extension present
	PreSharedKey  bool // pre_shared_key extension present
	EarlyData     bool // early_data extension present

	// GREASE lists the GREASE values seen, in order of appearance (cipher
	// suites, extension types, groups, versions, signature algorithms, key
	// shares). The fingerprints leave them out.
	GREASE []uint16

	// ja3Cut records where a malformed hello stopped Wireshark's JA3, which
	// JA3 reproduces (see there).
	ja3Cut ja3Cut
}

type ja3Cut uint8

const (
	ja3Whole        ja3Cut = iota
	ja3None                // cipher suites or compression methods malformed: no JA3
	ja3AfterCiphers        // extensions block malformed: "version,ciphers,"
)

// HasExtension reports whether the hello carries an extension of type t.
func (ch *ClientHello) HasExtension(t uint16) bool { return hasExtension(ch.Extensions, t) }

// offersTicket reports whether the hello carries a session ticket to
// resume with (a session_ticket extension that is not empty).
func (ch *ClientHello) offersTicket() bool {
	for _, e := range ch.Extensions {
		if e.Type == ExtSessionTicket && len(e.Data) > 0 {
			return true
		}
	}
	return false
}

// ParseClientHello parses the first ClientHello of a client stream: TLS
// records from the start of stream (or an SSLv2 ClientHello), the hello
// reassembled across records if needed.
//
// The result is nil only when no ClientHello header was found. When the
// stream ends inside the hello, the result holds what was parsed, Truncated
// is set, and the error wraps ErrTruncated. Other errors wrap ErrNotTLS,
// ErrNoHello or ErrMalformed.
func ParseClientHello(stream []byte) (*ClientHello, error) {
	return parseClientHello(stream, nil, false, true)
}

// parseClientHello is ParseClientHello parsing into s (a new store when
// nil). With messages the stream holds handshake messages without record
// headers (a QUIC CRYPTO stream). With copyMsg the hello gets a private
// copy of its message, else it aliases stream.
func parseClientHello(stream []byte, s *clientStore, messages, copyMsg bool) (*ClientHello, error) {
	if len(stream) == 0 {
		return nil, errorf(ErrTruncated, "empty stream")
	}
	var r hsReader
	switch {
	case messages:
		r.initMessages(stream)
	case stream[0]&0x80 != 0:
		if len(stream) < tlsrecord.SSLv2ClientHelloMin && tlsrecord.MaybeSSLv2(stream, tlsrecord.SSLv2ClientHello) {
			return nil, errorf(ErrTruncated, "SSLv2 header")
		}
		if tlsrecord.IsSSLv2ClientHello(stream) {
			return parseSSLv2ClientHello(stream, s, copyMsg)
		}
		return nil, errorf(ErrNotTLS, "high bit set but not an SSLv2 ClientHello")
	default:
		if err := r.init(stream); err != nil {
			return nil, err
		}
	}
	if r.stopped {
		return nil, errorf(ErrNoHello, "stream starts with a %s record", r.stop.Type)
	}
	msg, err := r.next()
	if msg == nil {
		if r.end != nil {
			return nil, r.end
		}
		return nil, errorf(ErrNoHello, "no handshake message")
	}
	if msg[0] != typeClientHello {
		return nil, errorf(ErrNoHello, "first handshake message has type %d", msg[0])
	}
	if copyMsg {
		msg = own(msg)
	}
	if s == nil {
		s = new(clientStore)
	}
	ch, perr := s.parseMessage(msg)
	ch.RecordVersion = r.recVersion
	if perr != nil && (err == nil || errors.Is(perr, ErrMalformed)) {
		err = perr
	}
	if err != nil && errors.Is(err, ErrTruncated) {
		ch.Truncated = true
	}
	return ch, err
}

// ParseClientHelloMessage parses one ClientHello handshake message (4-byte
// header included, no record layer), as carried in QUIC CRYPTO frames. msg
// may be cut short. The result aliases msg. RecordVersion is left zero.
func ParseClientHelloMessage(msg []byte) (*ClientHello, error) {
	return new(clientStore).parseMessage(msg)
}

// parseMessage parses msg into the store's hello.
func (s *clientStore) parseMessage(msg []byte) (*ClientHello, error) {
	ch := &s.ch
	ch.Raw = msg
	if len(msg) < 4 {
		ch.Truncated = true
		return ch, errorf(ErrTruncated, "client hello header: %d of 4 bytes", len(msg))
	}
	if msg[0] != typeClientHello {
		return ch, errorf(ErrNoHello, "handshake message type %d is not a ClientHello", msg[0])
	}
	a := s.arena()
	err := ch.parseBody(newReader(msg[4:], msgLen(msg), "client hello"), &a)
	ch.finish(&a)
	if err != nil && errors.Is(err, ErrTruncated) {
		ch.Truncated = true
	}
	return ch, err
}

// finish sets the lists that were built by appending to the arena's
// arrays (nil when empty, as appends from nil gave).
func (ch *ClientHello) finish(a *clientArena) {
	if len(a.grease) > 0 {
		ch.GREASE = a.grease
	}
	if len(a.alpn) > 0 {
		ch.ALPN = a.alpn
	}
}

func (ch *ClientHello) parseBody(r reader, a *clientArena) error {
	var ok bool
	if ch.Version, ok = r.u16("version"); !ok {
		return r.err
	}
	if ch.Random, ok = r.take(32, "random"); !ok {
		return r.err
	}
	sid, ok := r.vec(1, "session id")
	if !ok {
		return r.err
	}
	ch.SessionID = sid.b
	if r.err != nil {
		return r.err
	}
	cs, ok := r.vec(2, "cipher suites")
	if !ok {
		ch.ja3Cut = cutIfMalformed(r.err, ja3None)
		return r.err
	}
	ch.CipherSuites = cs.u16s(&a.u16, "cipher suites")
	a.noteGREASE(ch.CipherSuites)
	if cs.err != nil && errors.Is(cs.err, ErrMalformed) {
		ch.ja3Cut = ja3None
		return cs.err
	}
	if r.err != nil {
		return r.err
	}
	comp, ok := r.vec(1, "compression methods")
	if !ok {
		ch.ja3Cut = cutIfMalformed(r.err, ja3None)
		return r.err
	}
	ch.CompressionMethods = comp.b
	if r.err != nil || r.empty() {
		return r.err // no extensions block: SSL 3.0 style hello
	}
	exts, ok := r.vec(2, "extensions")
	if !ok {
		ch.ja3Cut = cutIfMalformed(r.err, ja3AfterCiphers)
		return r.err
	}
	// The store's array fits most hellos; append moves a longer list to
	// the heap (counting first cost a pass over every extension header).
	ch.Extensions = a.exts[:0]
	for !exts.empty() && exts.err == nil {
		typ, data, ok := exts.extension()
		if !ok {
			break // cut inside this extension: keep only complete ones
		}
		ch.Extensions = append(ch.Extensions, Extension{Type: typ, Data: data.b})
		if IsGREASE(typ) {
			a.grease = append(a.grease, typ)
		}
		ch.parseExtension(typ, &data, a)
	}
	if exts.err != nil {
		return exts.err
	}
	return r.err
}

func cutIfMalformed(err error, cut ja3Cut) ja3Cut {
	if errors.Is(err, ErrMalformed) {
		return cut
	}
	return ja3Whole
}

// parseExtension fills the fields derived from one client extension.
// Malformed extension contents are not fatal: the extension stays in
// Extensions and the field keeps what could be read.
func (ch *ClientHello) parseExtension(typ uint16, r *reader, a *clientArena) {
	switch typ {
	case ExtServerName:
		list, ok := r.vec(2, "server name list")
		for ok && !list.empty() && ch.ServerName == "" {
			nameType, ok1 := list.u8("name type")
			name, ok2 := list.vec(2, "host name")
			if !ok1 || !ok2 || list.err != nil {
				break
			}
			if nameType == 0 {
				ch.ServerName = string(name.b)
			}
		}
	case ExtALPN:
		list, ok := r.vec(2, "protocol name list")
		for ok && !list.empty() {
			p, ok1 := list.vec(1, "protocol name")
			if !ok1 || list.err != nil {
				break
			}
			a.alpn = append(a.alpn, protocolName(p.b))
		}
	case ExtSupportedGroups:
		if l, ok := r.vec(2, "named group list"); ok {
			ch.SupportedGroups = l.u16s(&a.u16, "named groups")
			a.noteGREASE(ch.SupportedGroups)
		}
	case ExtECPointFormats:
		if l, ok := r.vec(1, "ec point format list"); ok {
			ch.ECPointFormats = l.b
		}
	case ExtSignatureAlgorithms:
		if l, ok := r.vec(2, "signature algorithms"); ok {
			ch.SignatureAlgorithms = l.u16s(&a.u16, "signature algorithms")
			a.noteGREASE(ch.SignatureAlgorithms)
		}
	case ExtSupportedVersions:
		if l, ok := r.vec(1, "versions"); ok {
			ch.SupportedVersions = l.u16s(&a.u16, "versions")
			a.noteGREASE(ch.SupportedVersions)
		}
	case ExtKeyShare:
		list, ok := r.vec(2, "client shares")
		from := a.u16.mark()
		if len(ch.KeyShareGroups) > 0 { // a second key_share extension: go on with the first's list
			for _, g := range ch.KeyShareGroups {
				a.u16.push(g)
			}
		}
		for ok && !list.empty() {
			g, ok1 := list.u16("group")
			_, ok2 := list.vec(2, "key exchange")
			if !ok1 || !ok2 || list.err != nil {
				break
			}
			a.u16.push(g)
			if IsGREASE(g) {
				a.grease = append(a.grease, g)
			}
		}
		ch.KeyShareGroups = a.u16.carveOrNil(from)
	case ExtPSKKeyExchangeModes:
		if l, ok := r.vec(1, "psk modes"); ok {
			ch.PSKModes = l.b
		}
	case ExtSessionTicket:
		ch.SessionTicket = true
	case ExtPreSharedKey:
		ch.PreSharedKey = true
	case ExtEarlyData:
		ch.EarlyData = true
	}
}

func (a *clientArena) noteGREASE(vs []uint16) {
	for _, v := range vs {
		if IsGREASE(v) {
			a.grease = append(a.grease, v)
		}
	}
}

// protocolName returns an ALPN protocol name as a string, without an
// allocation for the names nearly every client sends.
func protocolName(b []byte) string {
	switch string(b) { // no allocation: the compiler compares in place
	case "h2":
		return "h2"
	case "http/1.1":
		return "http/1.1"
	case "h3":
		return "h3"
	case "http/1.0":
		return "http/1.0"
	case "spdy/3.1":
		return "spdy/3.1"
	case "acme-tls/1":
		return "acme-tls/1"
	}
	return string(b)
}

// parseSSLv2ClientHello parses an SSLv2-format ClientHello (2-byte record
// header): version, cipher specs, session id and challenge.
func parseSSLv2ClientHello(stream []byte, s *clientStore, copyMsg bool) (*ClientHello, error) {
	n := int(stream[0]&0x7f)<<8 | int(stream[1])
	present := min(n, len(stream)-2)
	raw := stream[:2+present]
	if copyMsg {
		raw = own(raw)
	}
	if s == nil {
		s = new(clientStore)
	}
	ch := &s.ch
	*ch = ClientHello{Raw: raw, SSLv2: true, RecordVersion: VersionSSL20}
	err := ch.parseSSLv2Body(newReader(raw[2:], n, "SSLv2 client hello"))
	if err != nil && errors.Is(err, ErrTruncated) {
		ch.Truncated = true
	}
	return ch, err
}

func (ch *ClientHello) parseSSLv2Body(r reader) error {
	r.u8("message type")
	ch.Version, _ = r.u16("version")
	csLen, _ := r.u16("cipher specs length")
	sidLen, _ := r.u16("session id length")
	chLen, ok := r.u16("challenge length")
	if !ok {
		return r.err
	}
	if csLen%3 != 0 {
		return errorf(ErrMalformed, "SSLv2 client hello: cipher specs length %d", csLen)
	}
	specs, ok := r.sub(int(csLen), "cipher specs")
	if !ok {
		return r.err
	}
	for b := specs.b; len(b) >= 3; b = b[3:] {
		spec := uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2])
		ch.CipherSpecsV2 = append(ch.CipherSpecsV2, spec)
		if b[0] == 0 {
			ch.CipherSuites = append(ch.CipherSuites, uint16(spec))
		}
	}
	if r.err != nil {
		return r.err
	}
	sid, ok := r.sub(int(sidLen), "session id")
	if !ok {
		return r.err
	}
	ch.SessionID = sid.b
	chal, ok := r.sub(int(chLen), "challenge")
	if !ok {
		return r.err
	}
	ch.Challenge = chal.b
	return r.err
}
