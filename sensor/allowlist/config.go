package allowlist

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/tlsentry/tlsentry/internal/bounds"
)

// Config names flows that are never alerted on: the allowlist section of
// the daemon's configuration, which embeds it. Entries keep the text of
// the file; New compiles them.
type Config struct {
	// SNISuffixes match a server name and all names below it, by whole
	// labels, ignoring case and a trailing dot.
	SNISuffixes []string `yaml:"sni_suffixes" reload:"hot"`
	JA3         []string `yaml:"ja3" reload:"hot"`   // JA3 hashes, 32 hex digits
	JA4         []string `yaml:"ja4" reload:"hot"`   // JA4 fingerprints
	CIDRs       []string `yaml:"cidrs" reload:"hot"` // a flow with either end inside is allowed
}

// Validate checks every entry (a *bounds.Error each, naming the field and
// the entry's index: "JA4[2]"). Repeated entries are allowed (they are
// harmless).
func (a Config) Validate() error {
	var errs []error
	for i, s := range a.SNISuffixes {
		if msg := checkDomain(s); msg != "" {
			bounds.Add(&errs, fmt.Sprintf("SNISuffixes[%d]", i), "%q %s", s, msg)
		}
	}
	for i, s := range a.JA3 {
		if !ja3Pattern.MatchString(s) {
			bounds.Add(&errs, fmt.Sprintf("JA3[%d]", i), "%q is not a JA3 hash (32 hex digits)", s)
		}
	}
	for i, s := range a.JA4 {
		if !JA4Pattern.MatchString(s) {
			bounds.Add(&errs, fmt.Sprintf("JA4[%d]", i), "%q is not a JA4 fingerprint (like t13d1516h2_8daaf6152771_b186095e22b6)", s)
		}
	}
	for i, s := range a.CIDRs {
		if _, err := ParsePrefix(s); err != nil {
			bounds.Add(&errs, fmt.Sprintf("CIDRs[%d]", i), "%v", err)
		}
	}
	return errors.Join(errs...)
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
