package tlsparse

// JA3 is a JA3-family fingerprint: the full string and its MD5.
type JA3 struct {
	Full string // e.g. "771,4865-4866,0-11-10,29-23,0"
	Hash string // lowercase hex MD5 of Full
}

// JA3 computes the client's JA3 (Salesforce definition) exactly as
// Wireshark 4.0 prints tls.handshake.ja3_full / tls.handshake.ja3:
//
//	Version,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats
//
// with Version the ClientHello legacy_version (not the record version, not
// supported_versions), lists in the order sent joined by '-', decimal, and
// GREASE values dropped from ciphers, extensions and curves. Empty lists
// give empty fields ("769,47-53,,,"). For an SSLv2 hello (which Wireshark
// does not fingerprint) the ciphers are the 16-bit suites of CipherSuites
// and the other lists are empty.
//
// Malformed hellos get what Wireshark 4.0 prints for them: no JA3 at all
// (the zero JA3) when the cipher suite or compression vector overruns the
// hello or is odd-sized, and "Version,Ciphers," when the extensions block
// overruns it. A truncated hello (Truncated) gets no JA3, as Wireshark
// shows none until the hello is complete: the fingerprint of the part
// before the cut ("771,,,," for a hello cut in its random) is no client's,
// yet would match a block list entry of that string.
func (ch *ClientHello) JA3() JA3 {
	ja3, _ := ch.ja3s(wantJA3)
	return ja3
}

// JA3N is JA3 with the extension list sorted ascending, so that it stays
// the same when a client (Chromium since 110) shuffles its extensions.
func (ch *ClientHello) JA3N() JA3 {
	_, ja3n := ch.ja3s(wantJA3N)
	return ja3n
}

// JA3Pair returns JA3() and JA3N() together, rendering the lists they
// share once.
func (ch *ClientHello) JA3Pair() (ja3, ja3n JA3) {
	return ch.ja3s(wantJA3 | wantJA3N)
}

func (ch *ClientHello) ja3s(want printSet) (ja3, ja3n JA3) {
	var buf [printBufSize]byte
	b, sp := ch.appendPrints(buf[:0], want, 0)
	all := string(b)
	return JA3{Full: sp.ja3.of(all), Hash: sp.ja3Hash.of(all)}, JA3{Full: sp.ja3n.of(all), Hash: sp.ja3nHash.of(all)}
}

// appendDecList appends the non-GREASE values of vs in decimal, joined by
// '-'.
func appendDecList(b []byte, vs []uint16) []byte {
	first := true
	for _, v := range vs {
		if IsGREASE(v) {
			continue
		}
		if !first {
			b = append(b, '-')
		}
		first = false
		b = appendU16(b, v)
	}
	return b
}

// appendU16 appends v in decimal: the fingerprints' hot loop, where
// strconv's general path (format into a scratch buffer, then copy) cost
// more than the hashing.
func appendU16(b []byte, v uint16) []byte {
	switch {
	case v < 10:
		return append(b, byte('0'+v))
	case v < 100:
		return append(b, byte('0'+v/10), byte('0'+v%10))
	case v < 1000:
		return append(b, byte('0'+v/100), byte('0'+v/10%10), byte('0'+v%10))
	case v < 10000:
		return append(b, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
	}
	return append(b, byte('0'+v/10000), byte('0'+v/1000%10), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}

// JA3S computes the server's JA3S as Wireshark 4.0 prints
// tls.handshake.ja3s_full: Version,Cipher,Extensions with Version the
// ServerHello legacy_version and extensions in the order sent (GREASE
// dropped). It is empty for an SSLv2 ServerHello and for a truncated one
// (its extensions, or more, are missing).
func (sh *ServerHello) JA3S() JA3 {
	var buf [128]byte
	b, full, hash := sh.appendJA3S(buf[:0])
	all := string(b)
	return JA3{Full: full.of(all), Hash: hash.of(all)}
}
