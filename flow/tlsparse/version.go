package tlsparse

import (
	"strconv"
)

// Protocol versions as they appear on the wire.
const (
	VersionSSL20 uint16 = 0x0002
	VersionSSL30 uint16 = 0x0300
	VersionTLS10 uint16 = 0x0301
	VersionTLS11 uint16 = 0x0302
	VersionTLS12 uint16 = 0x0303
	VersionTLS13 uint16 = 0x0304
)

// VersionName names a protocol version the way Suricata's eve.json does
// in tls.version: "SSLv2", "SSLv3", "TLSv1", "TLS 1.1", "TLS 1.2",
// "TLS 1.3"; TLS 1.3 drafts as Suricata labels them: "TLS 1.3 draft-NN"
// for 0x7fNN from draft 16 on, "TLS 1.3 draft-<16" for the earlier drafts
// (0x7f01 to 0x7f0f), "TLS 1.3 draft-NN-fb" for Facebook's 0xfbNN;
// "UNDETERMINED" for 0, and "0x%04x" for anything else (where Suricata
// prints the number in decimal).
func VersionName(v uint16) string {
	switch v {
	case 0:
		return "UNDETERMINED"
	case VersionSSL20:
		return "SSLv2"
	case VersionSSL30:
		return "SSLv3"
	case VersionTLS10:
		return "TLSv1"
	case VersionTLS11:
		return "TLS 1.1"
	case VersionTLS12:
		return "TLS 1.2"
	case VersionTLS13:
		return "TLS 1.3"
	}
	switch n := v & 0xff; {
	case v>>8 == 0x7f && n >= 16:
		return "TLS 1.3 draft-" + strconv.Itoa(int(n))
	case v>>8 == 0x7f && n >= 1:
		return versionPreDraft16
	case v>>8 == 0xfb:
		return "TLS 1.3 draft-" + strconv.Itoa(int(n)) + "-fb"
	}
	return "0x" + hex4(v)
}

// versionPreDraft16 is Suricata's label for the TLS 1.3 drafts before 16,
// whose exact number it does not tell.
const versionPreDraft16 = "TLS 1.3 draft-<16"

// versionRank orders versions by age: SSL 2.0 first, TLS 1.3 drafts (and
// their experimental variants) after TLS 1.2, TLS 1.3 last. Values that
// are no version (GREASE, unknown) rank 0.
func versionRank(v uint16) int {
	switch {
	case v == VersionSSL20:
		return 1
	case v >= VersionSSL30 && v <= VersionTLS12:
		return int(v)
	case v == VersionTLS13:
		return 0x10000
	case isTLS13(v) && v&0xff != 0:
		return int(VersionTLS12) + int(v&0xff)
	}
	return 0
}

// isTLS13 reports whether v is TLS 1.3 or one of its drafts or
// experimental variants (0x7fNN drafts, 0x7eNN Google experiments, 0xfbNN
// Facebook drafts): versions whose handshake is encrypted after the
// ServerHello.
func isTLS13(v uint16) bool {
	return v == VersionTLS13 || v>>8 == 0x7f || v>>8 == 0x7e || v>>8 == 0xfb
}

const hexDigits = "0123456789abcdef"

// hex4 formats v as four lowercase hex digits.
func hex4(v uint16) string {
	b := [4]byte{hexDigits[v>>12], hexDigits[v>>8&0xf], hexDigits[v>>4&0xf], hexDigits[v&0xf]}
	return string(b[:])
}

// appendHex4 appends v as four lowercase hex digits.
func appendHex4(dst []byte, v uint16) []byte {
	return append(dst, hexDigits[v>>12], hexDigits[v>>8&0xf], hexDigits[v>>4&0xf], hexDigits[v&0xf])
}
