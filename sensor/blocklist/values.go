package blocklist

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/tlsentry/tlsentry/sensor/allowlist"
)

var (
	ja3Pattern  = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)
	sha1Pattern = regexp.MustCompile(`^[0-9a-fA-F]{40}$`)
	// sha1Colons is SHA-1 as Suricata's tls.fingerprint and openssl
	// print it: 20 bytes in hex, colon-separated.
	sha1Colons = regexp.MustCompile(`^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){19}$`)
)

// normalize checks s as a value of kind k and returns it in the form
// flows are matched in: JA3 and JA4 lower case, a SHA-1 lower-case
// colon-separated hex (as tlsparse prints it), a name lower case without
// its trailing dot or a leading "*." or ".". On error, it says what is
// wrong.
func normalize(k Kind, s string) (string, error) {
	switch k {
	case KindJA3:
		if !ja3Pattern.MatchString(s) {
			return "", fmt.Errorf("%q is not a JA3 hash (32 hex digits)", s)
		}
		return strings.ToLower(s), nil
	case KindJA4:
		if !allowlist.JA4Pattern.MatchString(s) {
			return "", fmt.Errorf("%q is not a JA4 fingerprint (like t13d1516h2_8daaf6152771_b186095e22b6)", s)
		}
		return strings.ToLower(s), nil
	case KindCertSHA1:
		switch {
		case sha1Pattern.MatchString(s):
			var b strings.Builder
			b.Grow(59)
			for i := 0; i < 40; i += 2 {
				if i > 0 {
					b.WriteByte(':')
				}
				b.WriteString(s[i : i+2])
			}
			return strings.ToLower(b.String()), nil
		case sha1Colons.MatchString(s):
			return strings.ToLower(s), nil
		}
		return "", fmt.Errorf("%q is not a SHA-1 fingerprint (40 hex digits, colons between bytes allowed)", s)
	case KindSNI:
		name := strings.TrimPrefix(strings.TrimPrefix(s, "*"), ".")
		if msg := checkName(name); msg != "" {
			return "", fmt.Errorf("%q %s", s, msg)
		}
		return strings.ToLower(strings.TrimSuffix(name, ".")), nil
	}
	return "", fmt.Errorf("unknown kind %q", k)
}

// checkName says what is wrong with a server name ("" if nothing): DNS
// labels of letters, digits, '-' and '_' (seen in real SNI), 1-63 bytes
// each, 253 in all, one trailing dot allowed.
func checkName(s string) string {
	name := strings.TrimSuffix(s, ".")
	if name == "" || len(name) > 253 {
		return "is not a server name"
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" || len(label) > 63 {
			return "is not a server name (empty or over-long label)"
		}
		for _, r := range label {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			case r >= 0x80:
				return "is not a server name (write internationalised names in their xn-- form)"
			default:
				return fmt.Sprintf("is not a server name (%q is not allowed)", r)
			}
		}
	}
	return ""
}

// describe names a kind's values in words, for reasons and errors.
func (k Kind) describe() string {
	switch k {
	case KindJA3:
		return "JA3"
	case KindJA4:
		return "JA4"
	case KindCertSHA1:
		return "certificate SHA-1"
	}
	return "server name"
}
