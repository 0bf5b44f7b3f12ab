package evidence

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tlsentry/tlsentry/internal/labset"
)

// A site's model knows the self-made certificates its training showed and
// stays silent on them; another self-made certificate still fires, on a
// table read back from its file too.
func TestKnownSelfMade(t *testing.T) {
	signed := inputs(t, labset.SelfSigned, 2)
	mine, other := signed[0], signed[1]
	if leaf(mine).SHA256Fingerprint == leaf(other).SHA256Fingerprint {
		t.Fatal("the lab's self-signed servers share a certificate")
	}
	base := &Table{Flows: 1000, Rates: map[string]Rate{"cert.self_signed": {Applied: 200}}}
	base.prepare()
	idx := slices.IndexFunc(checks, func(c check) bool { return c.id == "cert.self_signed" })
	fired := func(tab *Table, x *Input) bool { return checks[idx].applies(x) && tab.fires(idx, x) }
	if !fired(base, mine) || !fired(base, other) {
		t.Fatal("the public table does not fire on self-signed leaves")
	}
	learned := base.LearnSelfMade([]*Input{mine, mine, inputs(t, labset.Benign, 1)[0]})
	if len(learned.KnownSelfMade) != 1 || fired(learned, mine) || !fired(learned, other) {
		t.Errorf("learned %v: fires on the site's own certificate %v, on another %v", learned.KnownSelfMade, fired(learned, mine), fired(learned, other))
	}
	if len(base.KnownSelfMade) != 0 || !fired(base, mine) {
		t.Error("LearnSelfMade changed the table it learned from")
	}
	// The memo of leaf checks follows the table it serves.
	memo := NewLeafMemo(8)
	if base.leafFired(mine, memo) == 0 || learned.leafFired(mine, memo) != 0 {
		t.Error("the leaf memo kept the public table's verdict for the learned table")
	}
	back := roundTrip(t, learned)
	if fired(back, mine) || !fired(back, other) {
		t.Errorf("round trip: known %v", back.KnownSelfMade)
	}
	if both := back.LearnSelfMade([]*Input{other}); len(both.KnownSelfMade) != 2 || both.KnownSelfMade[0] != learned.KnownSelfMade[0] || fired(both, other) {
		t.Errorf("update: %v", both.KnownSelfMade)
	}
}

// Bad fingerprints, repeats and more than the bound are errors when a
// table is decoded.
func TestKnownSelfMadeDecoding(t *testing.T) {
	base := &Table{Flows: 1000, Rates: map[string]Rate{}}
	good := fingerprintOf(1)
	for _, tc := range []struct {
		known []string
		ok    bool
	}{
		{[]string{good}, true},
		{[]string{good, fingerprintOf(2)}, true},
		{[]string{good, good}, false},
		{[]string{""}, false},
		{[]string{good[:len(good)-3]}, false},
		{[]string{"AA" + good[2:]}, false}, // upper case: tlsparse writes lower
		{[]string{"zz" + good[2:]}, false},
	} {
		q := *base
		q.KnownSelfMade = tc.known
		data, _ := q.MarshalBinary()
		if err := new(Table).UnmarshalBinary(data); (err == nil) != tc.ok {
			t.Errorf("known %q: %v", tc.known, err)
		}
	}
	many := make([]string, MaxKnownSelfMade+1)
	for i := range many {
		many[i] = fingerprintOf(i)
	}
	q := *base
	q.KnownSelfMade = many
	data, _ := q.MarshalBinary()
	if err := new(Table).UnmarshalBinary(data); err == nil {
		t.Error("more known self-made certificates than the bound decoded")
	}
}

// fingerprintOf is a well-formed fingerprint made from i.
func fingerprintOf(i int) string {
	b := make([]byte, 0, 95)
	for k := range 32 {
		if k > 0 {
			b = append(b, ':')
		}
		b = fmt.Appendf(b, "%02x", byte(i>>(8*(k%4))))
	}
	return string(b)
}
