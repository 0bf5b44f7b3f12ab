package evidence

import (
	"cmp"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
)

// MaxKnownIssuers bounds the private authorities a table knows from a
// site's training.
const MaxKnownIssuers = 1024

// An organisation's own CA is a private issuer everywhere but on its own
// network: a table for a site's model knows the private authorities its
// training flows' chains led to (Table.KnownIssuers), and
// cert.private_issuer does not fire for them, as novelty does not count a
// value training saw.

// privateIssuerOf is the private authority x's chain leads to (the
// check's own conditions, the table's known ones aside).
func privateIssuerOf(x *Input) ([]byte, bool) {
	if !hasLeaf(x) {
		return nil, false
	}
	name, ok := chainIssuer(x)
	if !ok || leaf(x).SelfIssued || publicRoot(name) {
		return nil, false
	}
	return name, true
}

// LearnIssuers returns a copy of t that also knows the private
// authorities the chains of in led to: those t knew first, then the new
// ones by how many flows showed them (ties by name), at most
// MaxKnownIssuers. t is not changed.
func (t *Table) LearnIssuers(in []*Input) *Table {
	count := map[string]int{}
	for _, x := range in {
		if name, ok := privateIssuerOf(x); ok {
			count[hex.EncodeToString(name)]++
		}
	}
	u := *t
	u.KnownIssuers = withLearned(t.KnownIssuers, count, MaxKnownIssuers)
	u.prepare()
	return &u
}

// withLearned is known followed by the keys of count it lacks, those
// counted most first (ties by key), at most limit in all; known is not
// changed.
func withLearned(known []string, count map[string]int, limit int) []string {
	out := slices.Clone(known)
	for _, k := range out {
		delete(count, k)
	}
	out = append(out, mostFirst(count)...)
	return out[:min(len(out), limit)]
}

// mostFirst are count's keys, those counted most first (ties by key).
func mostFirst(count map[string]int) []string {
	return slices.SortedFunc(maps.Keys(count), func(a, b string) int {
		return cmp.Or(cmp.Compare(count[b], count[a]), cmp.Compare(a, b))
	})
}

// knownSet decodes the known issuers; an error names the first bad one.
func knownSet(hexNames []string) (map[string]struct{}, error) {
	if len(hexNames) > MaxKnownIssuers {
		return nil, fmt.Errorf("evidence table: %d known issuers, at most %d", len(hexNames), MaxKnownIssuers)
	}
	out := make(map[string]struct{}, len(hexNames))
	for _, h := range hexNames {
		name, err := hex.DecodeString(h)
		if err != nil || len(name) == 0 {
			return nil, fmt.Errorf("evidence table: known issuer %.40q is not a hex name", h)
		}
		if _, dup := out[string(name)]; dup {
			return nil, fmt.Errorf("evidence table: known issuer %.40q listed twice", h)
		}
		out[string(name)] = struct{}{}
	}
	return out, nil
}
