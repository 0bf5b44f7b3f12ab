package config

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// Validate checks every allowlist entry, as Parse does; package allowlist
// calls it before compiling a list built in code. Repeated entries are
// allowed (they are harmless).
func (a Allowlist) Validate() error {
	var l errorList
	checkAllowlist(&l, a)
	return l.err()
}

func checkAllowlist(l *errorList, a Allowlist) {
	for i, s := range a.SNISuffixes {
		if msg := checkDomain(s); msg != "" {
			l.add(fmt.Sprintf("allowlist.sni_suffixes[%d]", i), "%q %s", s, msg)
		}
	}
	for i, s := range a.JA3 {
		if !ja3Pattern.MatchString(s) {
			l.add(fmt.Sprintf("allowlist.ja3[%d]", i), "%q is not a JA3 hash (32 hex digits)", s)
		}
	}
	for i, s := range a.JA4 {
		if !JA4Pattern.MatchString(s) {
			l.add(fmt.Sprintf("allowlist.ja4[%d]", i), "%q is not a JA4 fingerprint (like t13d1516h2_8daaf6152771_b186095e22b6)", s)
		}
	}
	for i, s := range a.CIDRs {
		if _, err := ParsePrefix(s); err != nil {
			l.add(fmt.Sprintf("allowlist.cidrs[%d]", i), "%v", err)
		}
	}
}

var ja3Pattern = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)

// JA4Pattern matches a JA4 fingerprint (FoxIO's JA4, not JA4_r or JA4_o):
// transport (t, q or d), version, d or i for SNI, two two-digit counts,
// two ALPN characters, then two 12-hex-digit hashes.
var JA4Pattern = regexp.MustCompile(`^[tqd][0-9a-z]{2}[di][0-9]{4}[0-9A-Za-z]{2}_[0-9a-fA-F]{12}_[0-9a-fA-F]{12}$`)

// checkDomain says what is wrong with an SNI suffix ("" if nothing): DNS
// labels of letters, digits, '-' and '_' (seen in real SNI), 1-63 bytes
// each, 253 in all, one trailing dot allowed.
func checkDomain(s string) string {
	if strings.HasPrefix(s, "*.") || strings.HasPrefix(s, ".") {
		return fmt.Sprintf("is not a domain name (write %s: it matches the name and every name below it)",
			strings.TrimLeft(strings.TrimPrefix(s, "*"), "."))
	}
	name := strings.TrimSuffix(s, ".")
	if name == "" || len(name) > 253 {
		return "is not a domain name"
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" || len(label) > 63 {
			return "is not a domain name (empty or over-long label)"
		}
		for _, r := range label {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			case r >= 0x80:
				return "is not a domain name (write internationalised names in their xn-- form)"
			default:
				return fmt.Sprintf("is not a domain name (%q is not allowed)", r)
			}
		}
	}
	return ""
}

// ParsePrefix parses an allowlist CIDR entry: a prefix such as
// 10.0.0.0/8 or 2001:db8::/32, or a bare address, which stands for
// itself alone. A prefix with bits set after its length (10.1.2.3/8) is
// refused rather than widened: it is more likely a typo for a host than a
// wish to allow the whole network.
func ParsePrefix(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("%q is not an address or CIDR prefix (like 10.0.0.0/8 or 2001:db8::/32)", s)
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an address or CIDR prefix (like 10.0.0.0/8 or 2001:db8::/32)", s)
	}
	if m := p.Masked(); m != p {
		return netip.Prefix{}, fmt.Errorf("%q has bits set after the prefix length (did you mean %s, or %s alone?)",
			s, m, p.Addr())
	}
	return p, nil
}
