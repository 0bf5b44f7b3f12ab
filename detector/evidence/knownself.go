package evidence

import (
	"fmt"
	"strings"
)

// Many of a site's own servers show a certificate they made themselves:
// Windows' RDP, a mail server's or an appliance's default one. A table
// for a site's model knows the self-signed and self-issued leaves its
// training flows showed (Table.KnownSelfMade, by SHA-256 fingerprint, the
// key Zeek's known-certificates log uses), and cert.self_signed and
// cert.self_issued do not fire for them, as cert.private_issuer does not
// for the site's own CAs. A new certificate, even on a known server,
// still fires: a self-made certificate that replaced the one training
// saw is what an interception looks like.

// MaxKnownSelfMade bounds the certificates a table knows from a site's
// training.
const MaxKnownSelfMade = 1024

// selfMade reports whether x's leaf is self-issued (self-signed ones
// included), the table's known certificates aside.
func selfMade(x *Input) bool { return hasLeaf(x) && leaf(x).SelfIssued }

// knowsSelfMade reports whether the table knows x's leaf from training.
func (t *Table) knowsSelfMade(x *Input) bool {
	if len(t.knownSelf) == 0 {
		return false
	}
	_, ok := t.knownSelf[leaf(x).SHA256Fingerprint]
	return ok
}

// LearnSelfMade returns a copy of t that also knows the self-made leaves
// in showed: those t knew first, then the new ones by how many flows
// showed them (ties by fingerprint), at most MaxKnownSelfMade. t is not
// changed.
func (t *Table) LearnSelfMade(in []*Input) *Table {
	count := map[string]int{}
	for _, x := range in {
		if selfMade(x) && leaf(x).SHA256Fingerprint != "" {
			count[leaf(x).SHA256Fingerprint]++
		}
	}
	u := *t
	u.KnownSelfMade = withLearned(t.KnownSelfMade, count, MaxKnownSelfMade)
	u.prepare()
	return &u
}

// knownSelfMadeSet checks and indexes the known certificates.
func knownSelfMadeSet(prints []string) (map[string]struct{}, error) {
	return knownStrings("self-made certificate", prints, MaxKnownSelfMade, isFingerprint)
}

// isFingerprint: a SHA-256 as tlsparse writes it, 32 lowercase hex bytes
// joined by colons.
func isFingerprint(s string) bool {
	if len(s) != 32*3-1 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i%3 == 2 {
			if c != ':' {
				return false
			}
		} else if !strings.ContainsRune("0123456789abcdef", rune(c)) {
			return false
		}
	}
	return true
}

// knownStrings checks and indexes a table's list of known things (what
// names them in errors): at most limit, each valid and listed once.
func knownStrings(what string, items []string, limit int, valid func(string) bool) (map[string]struct{}, error) {
	if len(items) > limit {
		return nil, fmt.Errorf("evidence table: %d known %s entries, at most %d", len(items), what, limit)
	}
	out := make(map[string]struct{}, len(items))
	for _, s := range items {
		if !valid(s) {
			return nil, fmt.Errorf("evidence table: known %s %.40q is not valid", what, s)
		}
		if _, dup := out[s]; dup {
			return nil, fmt.Errorf("evidence table: known %s %.40q listed twice", what, s)
		}
		out[s] = struct{}{}
	}
	return out, nil
}
