package detector

import (
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/detector/features"
	"github.com/tlsentry/tlsentry/detector/scoring"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// TestDefaultDrift: the embedded default carries its corpus's drift (the
// later captures' new client stacks, servers and certificates against
// the earlier ones), which caps those groups at a few bits, while a
// protocol the corpus never spoke keeps the most its later half can
// measure; a site's model (one network, no public corpus) has none.
func TestDefaultDrift(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	d, err := FileDrift(m.File)
	if err != nil || d == nil {
		t.Fatalf("default model drift: %+v, %v", d, err)
	}
	for _, g := range []features.Group{features.GClient, features.GServer, features.GCert} {
		if c := d.Cap(g); c > 3 {
			t.Errorf("%v: capped at %.2f bits; the corpus's later captures drift more than that", g, c)
		}
	}
	if c := d.Cap(features.GProtocol); c < 8 {
		t.Errorf("protocol and framing capped at %.2f bits: the later captures brought no new protocol", c)
	}
	f, _ := trainHybridOn(t, lab(t, labset.Benign, 40, 3))
	if d, err := FileDrift(f); err != nil || d != nil {
		t.Errorf("a site's model: drift %+v, %v; want none", d, err)
	}
	// A TLS 1.0-only client (a stack the corpus's later captures would
	// call new) weighs its client stack at the cap, with the cap's words.
	s, _ := m.NewScorer()
	atCap := 0
	for _, fl := range lab(t, labset.LegacyTLS10, 2, 3) {
		in := Input{Flow: fl, TLS: tlsparse.FromFlow(fl, nil)}
		s.Score([]Input{in}, make([]float64, 1))
		for _, r := range s.Explain(in) {
			if r.Layer != scoring.LayerLearned || !isClientFeature(r.Feature) {
				continue
			}
			if r.Weight > d.Cap(features.GClient)+1e-9 {
				t.Errorf("client-stack reason above the cap: %+v", r)
			}
			if strings.Contains(r.Text, "; worth at most ") {
				atCap++
			}
		}
	}
	if atCap == 0 {
		t.Error("no client-stack reason at the cap: the lab's TLS 1.0 clients gave the test nothing")
	}
}

// isClientFeature reports whether a novelty finding's feature describes
// the client stack.
func isClientFeature(name string) bool {
	for _, d := range features.CatDefs() {
		if d.Name == name {
			return d.Group == features.GClient
		}
	}
	for _, d := range features.Defs() {
		if d.Name == name {
			return d.Group == features.GClient
		}
	}
	return false
}
