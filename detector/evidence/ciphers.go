package evidence

import (
	"strings"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// Cipher suite classes from the IANA TLS registry and RFC 2246/4346/4492/
// 4785/5246 (SSL 3.0 and TLS suites; an SSLv2-format hello's 3-byte specs
// of SSL 3.0/TLS are mapped to them by the parser, its SSL 2.0 specs are
// classed by exportSpecV2).
var (
	// EXPORT: 40- and 56-bit suites (RFC 2246 appendix A.5, the
	// draft-ietf-tls-56-bit-ciphersuites suites 0x0060-0x0065).
	exportSuites = suiteSet(0x0003, 0x0006, 0x0008, 0x000B, 0x000E, 0x0011, 0x0014, 0x0017, 0x0019,
		0x0026, 0x0027, 0x0028, 0x0029, 0x002A, 0x002B, 0x0060, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065)
	// NULL encryption.
	nullSuites = suiteSet(0x0001, 0x0002, 0x002C, 0x002D, 0x002E, 0x003B, 0x00B0, 0x00B1, 0x00B4,
		0x00B5, 0x00B8, 0x00B9, 0xC001, 0xC006, 0xC00B, 0xC010, 0xC015, 0xC039, 0xC03A, 0xC03B)
	// Anonymous key exchange (DH_anon, ECDH_anon): no server authentication.
	anonSuites = suiteSet(0x0017, 0x0018, 0x0019, 0x001A, 0x001B, 0x0034, 0x003A, 0x0046, 0x006C,
		0x006D, 0x0089, 0x009B, 0x00A6, 0x00A7, 0x00BF, 0x00C5, 0xC015, 0xC016, 0xC017, 0xC018, 0xC019,
		0xC046, 0xC047, 0xC05A, 0xC05B, 0xC084, 0xC085)
)

func suiteSet(vs ...uint16) *[65536 / 64]uint64 {
	var s [65536 / 64]uint64
	for _, v := range vs {
		s[v/64] |= 1 << (v % 64)
	}
	return &s
}

func inSet(s *[1024]uint64, v uint16) bool { return s[v/64]&(1<<(v%64)) != 0 }

func exportSuite(c uint16) bool { return inSet(exportSuites, c) }
func nullSuite(c uint16) bool   { return inSet(nullSuites, c) }
func anonSuite(c uint16) bool   { return inSet(anonSuites, c) }
func brokenSuite(c uint16) bool { return exportSuite(c) || nullSuite(c) || anonSuite(c) }

// SSL 2.0's export cipher specs (RFC-less SSL 2.0 draft, appendix C).
const (
	specV2RC4Export40 = 0x020080
	specV2RC2Export40 = 0x040080
)

// exportSpecV2 reports an SSL 2.0 export cipher spec of an SSLv2-format
// hello.
func exportSpecV2(spec uint32) bool { return spec == specV2RC4Export40 || spec == specV2RC2Export40 }

// specV2Name names an SSL 2.0 export cipher spec as OpenSSL and Wireshark do.
func specV2Name(spec uint32) string {
	if spec == specV2RC4Export40 {
		return "0x020080 (SSL2_RC4_128_EXPORT40_WITH_MD5)"
	}
	return "0x040080 (SSL2_RC2_128_CBC_EXPORT40_WITH_MD5)"
}

// brokenClass words the class of a suite brokenSuite accepts, with its
// article.
func brokenClass(c uint16) string {
	switch {
	case nullSuite(c):
		return "a NULL (no encryption)"
	case anonSuite(c):
		return "an anonymous (unauthenticated)"
	default:
		return "an EXPORT-grade"
	}
}

// export1024Names are the 56-bit suites of draft-ietf-tls-56-bit-
// ciphersuites, which IANA never registered (so tlsparse, which follows
// the registry, has no name for them) but old stacks offered, named as
// OpenSSL and Wireshark name them.
var export1024Names = map[uint16]string{
	0x0060: "TLS_RSA_EXPORT1024_WITH_RC4_56_MD5",
	0x0061: "TLS_RSA_EXPORT1024_WITH_RC2_CBC_56_MD5",
	0x0062: "TLS_RSA_EXPORT1024_WITH_DES_CBC_SHA",
	0x0063: "TLS_DHE_DSS_EXPORT1024_WITH_DES_CBC_SHA",
	0x0064: "TLS_RSA_EXPORT1024_WITH_RC4_56_SHA",
	0x0065: "TLS_DHE_DSS_EXPORT1024_WITH_RC4_56_SHA",
}

// suiteName is "0x0003" with its IANA name where crypto/tls knows it,
// built in one allocation (an alert's reasons name up to three suites).
func suiteName(c uint16) string {
	const digits = "0123456789abcdef"
	h := [...]byte{'0', 'x', digits[c>>12], digits[c>>8&15], digits[c>>4&15], digits[c&15]}
	n := tlsparse.CipherSuiteName(c)
	if e, ok := export1024Names[c]; ok {
		n = e
	}
	if strings.HasPrefix(n, "0x") {
		return string(h[:])
	}
	var b strings.Builder
	b.Grow(len(h) + len(" ()") + len(n))
	b.Write(h[:])
	b.WriteString(" (")
	b.WriteString(n)
	b.WriteByte(')')
	return b.String()
}
