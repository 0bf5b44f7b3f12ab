package evidence

import (
	"strings"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// Cipher suite classes from the IANA TLS registry and RFC 2246/4346/4492/
// 4785/5246 (SSL 3.0 and TLS suites; SSLv2 specs are 16-bit mapped by the
// parser and never match).
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

// suiteName is "0x0003" with its IANA name where crypto/tls knows it,
// built in one allocation (an alert's reasons name up to three suites).
func suiteName(c uint16) string {
	const digits = "0123456789abcdef"
	h := [...]byte{'0', 'x', digits[c>>12], digits[c>>8&15], digits[c>>4&15], digits[c&15]}
	n := tlsparse.CipherSuiteName(c)
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
