package tlsrecord

// Record layer constants (RFC 8446 5.1).
const (
	// HeaderLen is the size of a TLS record header.
	HeaderLen = 5
	// MaxLen is the largest record payload accepted: 2^14 plus the 2048
	// bytes of expansion RFC 8446 5.2 allows for a ciphertext.
	MaxLen = 16384 + 2048

	ChangeCipherSpec = 20
	Alert            = 21
	Handshake        = 22
	ApplicationData  = 23
	Heartbeat        = 24

	// Handshake message types that open a direction.
	ClientHello = 1
	ServerHello = 2

	// SSLv2 message types (the SSLv2 record has a 2-byte header).
	SSLv2ClientHello = 1
	SSLv2ServerHello = 4
)

// Bytes needed before the SSLv2 recognisers can decide.
const (
	SSLv2ClientHelloMin = 5 // header, type, version
	SSLv2ServerHelloMin = 7 // header, type, session id hit, certificate type, version
)

// ValidHeader reports whether the bytes of b present, up to HeaderLen,
// can start a TLS record: a known content type, major version 3, a minor
// version up to TLS 1.3's, a length up to MaxLen. It checks only the bytes
// present, so a prefix of a valid header is valid.
func ValidHeader(b []byte) bool {
	if len(b) > 0 && (b[0] < ChangeCipherSpec || b[0] > Heartbeat) {
		return false
	}
	if len(b) > 1 && b[1] != 3 {
		return false
	}
	if len(b) > 2 && b[2] > 4 {
		return false
	}
	if len(b) > 4 && int(b[3])<<8|int(b[4]) > MaxLen {
		return false
	}
	return true
}

// HelloStart reports whether b starts a handshake record whose first
// message is a ServerHello (server; or the HelloRetryRequest of a TLS 1.3
// draft before 22) or a ClientHello. It needs the header and the message
// type: six bytes.
func HelloStart(b []byte, server bool) bool {
	if len(b) < HeaderLen+1 || b[0] != Handshake || !ValidHeader(b[:HeaderLen]) {
		return false
	}
	if int(b[3])<<8|int(b[4]) < 4 { // not even a message header
		return false
	}
	if server {
		return b[5] == ServerHello || b[5] == HelloRetryDraft
	}
	return b[5] == ClientHello
}

// AlertStart reports whether b starts a whole alert record (warning or
// fatal level): what a server sends instead of its hello when it refuses
// the ClientHello. It needs the header and the two alert bytes.
func AlertStart(b []byte) bool {
	return len(b) >= HeaderLen+2 && b[0] == Alert && ValidHeader(b[:HeaderLen]) &&
		b[3] == 0 && b[4] == 2 && (b[5] == 1 || b[5] == 2)
}

// IsSSLv2ClientHello reports whether b starts like an SSLv2 (or
// SSLv2-compatible) ClientHello: a 2-byte record header with the high bit
// set, message type 1, a version Wireshark accepts (SSL 2.0 to TLS 1.2),
// and a record long enough for the fixed fields (9 bytes).
func IsSSLv2ClientHello(b []byte) bool {
	if len(b) < SSLv2ClientHelloMin || b[0]&0x80 == 0 || b[2] != SSLv2ClientHello {
		return false
	}
	n := int(b[0]&0x7f)<<8 | int(b[1])
	v := uint16(b[3])<<8 | uint16(b[4])
	return n >= 9 && (v == 0x0002 || (v >= 0x0300 && v <= 0x0303))
}

// IsSSLv2ServerHello is the same test for an SSLv2 ServerHello (type 4):
// version SSL 2.0, which sits after the session-id-hit and
// certificate-type bytes, and a record long enough for the fixed fields
// (11 bytes).
func IsSSLv2ServerHello(b []byte) bool {
	if len(b) < SSLv2ServerHelloMin || b[0]&0x80 == 0 || b[2] != SSLv2ServerHello {
		return false
	}
	n := int(b[0]&0x7f)<<8 | int(b[1])
	v := uint16(b[5])<<8 | uint16(b[6])
	return n >= 11 && v == 0x0002
}

// MaybeSSLv2 reports whether b, shorter than the recognisers need, can
// still become an SSLv2 hello of message type typ.
func MaybeSSLv2(b []byte, typ byte) bool {
	if len(b) > 0 && b[0]&0x80 == 0 {
		return false
	}
	if len(b) >= 2 && int(b[0]&0x7f)<<8|int(b[1]) < 9 {
		return false
	}
	return len(b) < 3 || b[2] == typ
}

// SSLv2Len is the length of the SSLv2 record b starts with, header
// included; b must hold the two header bytes.
func SSLv2Len(b []byte) int { return 2 + (int(b[0]&0x7f)<<8 | int(b[1])) }

// helloRetryRandom is the ServerHello.random value that marks a
// HelloRetryRequest (RFC 8446 4.1.3): SHA-256("HelloRetryRequest").
var helloRetryRandom = [32]byte{
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
}

// HelloRetryDraft is the handshake type of a HelloRetryRequest in TLS 1.3
// drafts before 22; later ones are ServerHellos with a special random.
const HelloRetryDraft = 6

// HelloRetryProbe is how many bytes of a handshake message
// IsHelloRetryRequest needs: header, version and random.
const HelloRetryProbe = 4 + 2 + 32

// IsHelloRetryRequest reports whether msg, a handshake message from its
// 4-byte header on (at least HelloRetryProbe bytes of it for a
// ServerHello), is a HelloRetryRequest.
func IsHelloRetryRequest(msg []byte) bool {
	if len(msg) > 0 && msg[0] == HelloRetryDraft {
		return true
	}
	return len(msg) >= HelloRetryProbe && msg[0] == ServerHello && [32]byte(msg[6:38]) == helloRetryRandom
}

// IsHelloRetryRandom reports whether a ServerHello's random marks a
// HelloRetryRequest.
func IsHelloRetryRandom(random []byte) bool {
	return len(random) == 32 && [32]byte(random) == helloRetryRandom
}

// Extensions HelloOffers is asked about (the flow table asks a
// ServerHello for supported_versions: the server chose TLS 1.3).
const (
	ExtHeartbeat         = 15 // RFC 6520
	ExtSupportedVersions = 43 // RFC 8446: sent by clients that offer TLS 1.3
)

// HelloOffers reports whether b, a handshake record that starts a
// ClientHello or a ServerHello, lists extension ext. Only the first record
// is read: a hello fragmented over records is read as far as its first
// one goes, and an extension beyond it is not found.
func HelloOffers(b []byte, ext uint16) bool {
	server := HelloStart(b, true)
	if !server && !HelloStart(b, false) || server && b[5] != ServerHello {
		return false
	}
	body := b[HeaderLen:min(len(b), HeaderLen+(int(b[3])<<8|int(b[4])))]
	// Message header (4), version (2), random (32).
	p := 4 + 2 + 32
	skip := func(lenBytes int) bool { // a length-prefixed vector
		if p+lenBytes > len(body) {
			return false
		}
		n := 0
		for _, c := range body[p : p+lenBytes] {
			n = n<<8 | int(c)
		}
		p += lenBytes + n
		return p <= len(body)
	}
	if !skip(1) { // session id
		return false
	}
	if server {
		p += 2 + 1 // the chosen cipher suite and compression method
	} else if !skip(2) || !skip(1) { // cipher suites, compression methods
		return false
	}
	if p+2 > len(body) {
		return false
	}
	end := min(len(body), p+2+(int(body[p])<<8|int(body[p+1])))
	for p += 2; p+4 <= end; {
		typ := uint16(body[p])<<8 | uint16(body[p+1])
		if typ == ext {
			return true
		}
		p += 4 + (int(body[p+2])<<8 | int(body[p+3]))
	}
	return false
}
