package tlsparse

import (
	"crypto/md5"
	"encoding/hex"
	"slices"
)

// JA3 is a JA3-family fingerprint: the full string and its MD5.
type JA3 struct {
	Full string // e.g. "771,4865-4866,0-11-10,29-23,0"
	Hash string // lowercase hex MD5 of Full
}

func newJA3(full []byte) JA3 {
	sum := md5.Sum(full)
	return JA3{Full: string(full), Hash: hex.EncodeToString(sum[:])}
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
// overruns it. A truncated hello gets the fingerprint of what was parsed
// (Wireshark shows nothing until the hello is complete).
func (ch *ClientHello) JA3() JA3 {
	return ch.ja3(false)
}

func (ch *ClientHello) ja3(sortExts bool) JA3 {
	switch ch.ja3Cut {
	case ja3None:
		return JA3{}
	case ja3AfterCiphers:
		b := appendU16(nil, ch.Version)
		b = append(b, ',')
		b = appendDecList(b, ch.CipherSuites)
		return newJA3(append(b, ','))
	}
	return newJA3(ch.appendJA3(nil, sortExts))
}

// JA3N is JA3 with the extension list sorted ascending, so that it stays
// the same when a client (Chromium since 110) shuffles its extensions.
func (ch *ClientHello) JA3N() JA3 {
	return ch.ja3(true)
}

// JA3Pair returns JA3() and JA3N() together, rendering the lists they
// share once.
func (ch *ClientHello) JA3Pair() (ja3, ja3n JA3) {
	if ch.ja3Cut != ja3Whole {
		return ch.ja3(false), ch.ja3(true)
	}
	var buf, nbuf [768]byte
	b := appendU16(buf[:0], ch.Version)
	b = append(b, ',')
	b = appendDecList(b, ch.CipherSuites)
	b = append(b, ',')
	pre := len(b)
	var extBuf [64]uint16
	exts := extBuf[:0]
	for _, e := range ch.Extensions {
		if !IsGREASE(e.Type) {
			exts = append(exts, e.Type)
		}
	}
	b = appendDecList(b, exts)
	post := len(b)
	b = append(b, ',')
	b = appendDecList(b, ch.SupportedGroups)
	b = append(b, ',')
	for i, f := range ch.ECPointFormats {
		if i > 0 {
			b = append(b, '-')
		}
		b = appendU16(b, uint16(f))
	}
	slices.Sort(exts)
	n := append(nbuf[:0], b[:pre]...)
	n = appendDecList(n, exts)
	n = append(n, b[post:]...)
	return newJA3(b), newJA3(n)
}

func (ch *ClientHello) appendJA3(b []byte, sortExts bool) []byte {
	b = slices.Grow(b, 64+6*(len(ch.CipherSuites)+len(ch.Extensions)+len(ch.SupportedGroups)))
	b = appendU16(b, ch.Version)
	b = append(b, ',')
	b = appendDecList(b, ch.CipherSuites)
	b = append(b, ',')
	var extBuf [64]uint16
	exts := extBuf[:0]
	for _, e := range ch.Extensions {
		if !IsGREASE(e.Type) {
			exts = append(exts, e.Type)
		}
	}
	if sortExts {
		slices.Sort(exts)
	}
	b = appendDecList(b, exts)
	b = append(b, ',')
	b = appendDecList(b, ch.SupportedGroups)
	b = append(b, ',')
	for i, f := range ch.ECPointFormats {
		if i > 0 {
			b = append(b, '-')
		}
		b = appendU16(b, uint16(f))
	}
	return b
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
// dropped). It is empty for an SSLv2 ServerHello.
func (sh *ServerHello) JA3S() JA3 {
	if sh.SSLv2 {
		return JA3{}
	}
	b := make([]byte, 0, 32+6*len(sh.Extensions))
	b = appendU16(b, sh.Version)
	b = append(b, ',')
	b = appendU16(b, sh.CipherSuite)
	b = append(b, ',')
	first := true
	for _, e := range sh.Extensions {
		if IsGREASE(e.Type) {
			continue
		}
		if !first {
			b = append(b, '-')
		}
		first = false
		b = appendU16(b, e.Type)
	}
	return newJA3(b)
}
