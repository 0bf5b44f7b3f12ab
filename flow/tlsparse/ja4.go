package tlsparse

// Transport is the first character of a JA4 fingerprint.
type Transport byte

// JA4 transports.
const (
	TransportTCP  Transport = 't' // TLS over TCP
	TransportQUIC Transport = 'q'
	TransportDTLS Transport = 'd'
)

// JA4 holds the four renderings of a client's JA4 fingerprint (FoxIO JA4
// specification, BSD 3-Clause).
type JA4 struct {
	JA4   string // t13d1516h2_8daaf6152771_e5627efa2ab1
	JA4R  string // raw: sorted hex lists instead of hashes (JA4_r)
	JA4O  string // hashed, original order, SNI and ALPN kept (JA4_o)
	JA4RO string // raw, original order (JA4_ro)
}

// JA4 computes the hello's JA4 fingerprints:
//
//	a: transport, version (highest non-GREASE supported_versions value, else
//	   legacy_version: 13 12 11 10 s3 s2, d1 d2 d3 for DTLS, 00 unknown),
//	   'd' if a server_name extension is present else 'i', two-digit counts
//	   of cipher suites and extensions (GREASE excluded, capped at 99), and
//	   the first and last characters of the first ALPN value ("00" when
//	   none or empty, "xx" for a one-character "x"; when either is not ASCII
//	   alphanumeric, the first hex digit of its first byte and the last hex
//	   digit of its last byte);
//	b: first 12 hex digits of the SHA-256 of the sorted 4-hex-digit cipher
//	   list joined by ',';
//	c: the same over the sorted extension list without server_name (0000)
//	   and ALPN (0010), followed by '_' and the signature algorithms in the
//	   order sent when there are any.
//
// GREASE values are dropped everywhere. A hash over an empty list is
// "000000000000". The original-order forms keep the cipher and extension
// order of the hello and keep server_name and ALPN; JA4_o's c is also
// "000000000000" when the list without them is empty, as the reference
// tool prints.
func (ch *ClientHello) JA4(transport Transport) JA4 {
	return ch.ja4(transport, wantJA4|wantJA4O)
}

// JA4Basic is JA4 with only the JA4 and JA4R forms filled: what flow
// records show, for half the hashing.
func (ch *ClientHello) JA4Basic(transport Transport) JA4 {
	return ch.ja4(transport, wantJA4)
}

func (ch *ClientHello) ja4(transport Transport, want printSet) JA4 {
	var buf [printBufSize]byte
	b, sp := ch.appendPrints(buf[:0], want, transport)
	all := string(b)
	return JA4{JA4: sp.ja4.of(all), JA4R: sp.ja4r.of(all), JA4O: sp.ja4o.of(all), JA4RO: sp.ja4ro.of(all)}
}

// ja4Version picks and labels the version JA4 reports.
func ja4Version(ch *ClientHello) string {
	v := ch.Version
	if ch.HasExtension(ExtSupportedVersions) {
		var best uint16
		found := false
		for _, sv := range ch.SupportedVersions {
			if !IsGREASE(sv) && (!found || sv > best) {
				best, found = sv, true
			}
		}
		if found {
			v = best
		}
	}
	switch v {
	case VersionTLS13:
		return "13"
	case VersionTLS12:
		return "12"
	case VersionTLS11:
		return "11"
	case VersionTLS10:
		return "10"
	case VersionSSL30:
		return "s3"
	case VersionSSL20, 0x0200: // 0x0200: as the reference tools also accept
		return "s2"
	case 0x0100:
		return "s1"
	case 0xfeff:
		return "d1"
	case 0xfefd:
		return "d2"
	case 0xfefc:
		return "d3"
	}
	return "00"
}

// ja4ALPN gives the two ALPN characters of JA4_a.
func ja4ALPN(ch *ClientHello) (byte, byte) {
	if len(ch.ALPN) == 0 || len(ch.ALPN[0]) == 0 || !ch.HasExtension(ExtALPN) {
		return '0', '0'
	}
	p := ch.ALPN[0]
	first, last := p[0], p[len(p)-1]
	if isAlnum(first) && isAlnum(last) {
		return first, last
	}
	return hexDigits[first>>4], hexDigits[last&0xf]
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z'
}

// put2 writes n (capped at 99) as two decimal digits.
func put2(dst []byte, n int) {
	n = min(n, 99)
	dst[0], dst[1] = byte('0'+n/10), byte('0'+n%10)
}

func appendHexList(b []byte, vs []uint16) []byte {
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendHex4(b, v)
	}
	return b
}

func appendSigs(b []byte, sigs []uint16) []byte {
	if len(sigs) == 0 {
		return b
	}
	b = append(b, '_')
	return appendHexList(b, sigs)
}
