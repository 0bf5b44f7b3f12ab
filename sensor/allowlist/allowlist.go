package allowlist

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Reasons a flow is allowed, as Match reports them: a small fixed set, fit
// for a metric label.
const (
	ReasonJA3  = "ja3"
	ReasonJA4  = "ja4"
	ReasonSNI  = "sni_suffix"
	ReasonCIDR = "cidr"
)

// Reasons lists every reason Match can give, in the order it checks them.
var Reasons = []string{ReasonJA3, ReasonJA4, ReasonSNI, ReasonCIDR}

// FlowInfo is what the allowlist looks at in a flow; the daemon fills it
// from the flow and its parsed handshake. Empty fields match nothing.
type FlowInfo struct {
	SNI      string     // server_name of the ClientHello
	JA3      string     // JA3 hash (MD5, hex)
	JA4      string     // JA4 fingerprint
	Src, Dst netip.Addr // client and server addresses
}

// List is a compiled allowlist. The zero List and a nil *List match
// nothing.
type List struct {
	sni, ja3, ja4 map[string]struct{}
	// prefixes holds the CIDR entries, masked. A lookup masks the address
	// to each prefix length in use (lengths, longest first, so the most
	// specific entry is the one reported) and looks that up: a handful of
	// map lookups however long the list is (cloud providers' ranges run to
	// thousands of prefixes), at most 33 for IPv4 and 129 for IPv6.
	prefixes       map[netip.Prefix]struct{}
	v4Lens, v6Lens []int
}

// New compiles cfg, checking its entries first (Config.Validate:
// the same rules and messages as loading a file).
func New(cfg Config) (*List, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("allowlist: %w", err)
	}
	l := &List{
		sni: make(map[string]struct{}, len(cfg.SNISuffixes)),
		ja3: make(map[string]struct{}, len(cfg.JA3)),
		ja4: make(map[string]struct{}, len(cfg.JA4)),
	}
	for _, s := range cfg.SNISuffixes {
		l.sni[normalizeName(s)] = struct{}{}
	}
	for _, s := range cfg.JA3 {
		l.ja3[strings.ToLower(s)] = struct{}{}
	}
	for _, s := range cfg.JA4 {
		l.ja4[normalizeJA4(s)] = struct{}{}
	}
	l.prefixes = make(map[netip.Prefix]struct{}, len(cfg.CIDRs))
	for _, s := range cfg.CIDRs {
		p, err := ParsePrefix(s)
		if err != nil { // Validate has already refused it
			return nil, fmt.Errorf("allowlist: %w", err)
		}
		p = unmapPrefix(p)
		l.prefixes[p] = struct{}{}
		lens := &l.v6Lens
		if p.Addr().Is4() {
			lens = &l.v4Lens
		}
		if !slices.Contains(*lens, p.Bits()) {
			*lens = append(*lens, p.Bits())
		}
	}
	slices.SortFunc(l.v4Lens, func(a, b int) int { return b - a })
	slices.SortFunc(l.v6Lens, func(a, b int) int { return b - a })
	return l, nil
}

// Len is the number of distinct entries.
func (l *List) Len() int {
	if l == nil {
		return 0
	}
	return len(l.sni) + len(l.ja3) + len(l.ja4) + len(l.prefixes)
}

// Match reports whether the flow is allowed, and why (one of Reasons).
// Fingerprints are checked first, then the server name, then addresses;
// the first hit decides.
func (l *List) Match(f FlowInfo) (reason string, ok bool) {
	reason, _, ok = l.MatchEntry(f)
	return reason, ok
}

// MatchEntry is Match that also returns the entry that matched, in its
// normal form (lower case, no trailing dot, the prefix as CIDR), for
// logs; it is not a fit for a metric label.
func (l *List) MatchEntry(f FlowInfo) (reason, entry string, ok bool) {
	if l == nil {
		return "", "", false
	}
	if f.JA3 != "" && len(l.ja3) > 0 {
		h := strings.ToLower(f.JA3)
		if _, hit := l.ja3[h]; hit {
			return ReasonJA3, h, true
		}
	}
	if f.JA4 != "" && len(l.ja4) > 0 {
		fp := normalizeJA4(f.JA4)
		if _, hit := l.ja4[fp]; hit {
			return ReasonJA4, fp, true
		}
	}
	if f.SNI != "" && len(l.sni) > 0 {
		if suffix, hit := l.matchName(normalizeName(f.SNI)); hit {
			return ReasonSNI, suffix, true
		}
	}
	for _, a := range [2]netip.Addr{f.Src, f.Dst} {
		if p, hit := l.matchAddr(a); hit {
			return ReasonCIDR, p.String(), true
		}
	}
	return "", "", false
}

// matchName tries name and each name above it, a whole label at a time:
// a.example.com, then example.com, then com.
func (l *List) matchName(name string) (string, bool) {
	for {
		if _, hit := l.sni[name]; hit {
			return name, true
		}
		dot := strings.IndexByte(name, '.')
		if dot < 0 {
			return "", false
		}
		name = name[dot+1:]
	}
}

func (l *List) matchAddr(a netip.Addr) (netip.Prefix, bool) {
	if !a.IsValid() || len(l.prefixes) == 0 {
		return netip.Prefix{}, false
	}
	a = a.Unmap().WithZone("")
	lens := l.v6Lens
	if a.Is4() {
		lens = l.v4Lens
	}
	for _, bits := range lens {
		p, err := a.Prefix(bits)
		if err != nil {
			continue
		}
		if _, hit := l.prefixes[p]; hit {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

// normalizeName lower-cases a server name and drops one trailing dot.
// strings.ToLower returns its argument unchanged, without allocating,
// when there is nothing to lower.
func normalizeName(s string) string {
	return strings.ToLower(strings.TrimSuffix(s, "."))
}

// normalizeJA4 lower-cases a JA4 fingerprint: its hashes are hex and its
// other letters are lower case by definition, except the two ALPN
// characters, whose case two fingerprints are unlikely to differ by alone.
func normalizeJA4(s string) string { return strings.ToLower(s) }

// unmapPrefix turns an IPv4-mapped IPv6 prefix (::ffff:10.0.0.0/104) into
// the IPv4 prefix it stands for, since addresses are unmapped before
// matching.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p
}
