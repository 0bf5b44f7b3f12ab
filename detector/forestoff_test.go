package detector

import (
	"slices"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// TestCorpusModelLeavesTheForestOut: the embedded default, built on a
// public corpus, scores evidence and novelty only: no flow gets forest
// bits or a reason from the forest, and no flow is encoded. A model
// trained on a network counts its forest; so does the default re-marked
// as scoring all three parts (a model of the earlier layout).
func TestCorpusModelLeavesTheForestOut(t *testing.T) {
	def, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if got := def.File.Meta.Params[paramScoring]; got != scoringCorpus {
		t.Fatalf("the default scores %q, want %q", got, scoringCorpus)
	}
	var flows []Input
	for _, kind := range []string{labset.Benign, labset.NonTLSRandom, labset.SelfSigned, labset.LegacyTLS10} {
		for _, fl := range lab(t, kind, 4, 9) {
			flows = append(flows, Input{Flow: fl, TLS: tlsparse.FromFlow(fl, nil)})
		}
	}
	var s *hybridScorer
	forestParts := func(m *Model) (bits float64, reasons int) {
		t.Helper()
		sc, err := m.NewScorer()
		if err != nil {
			t.Fatal(err)
		}
		s = sc.(*hybridScorer)
		out := make([]float64, len(flows))
		s.Score(flows, out)
		for i, in := range flows {
			p := s.parts(i, in, false)
			if d := out[i] - (p.evidence + p.novelty + p.forest); d > 1e-9 || d < -1e-9 {
				t.Errorf("flow %d: score %v is not its parts %+v", i, out[i], p)
			}
			bits += p.forest
			for _, r := range s.Explain(in) {
				if r.Feature == "prefix.bytes" || strings.HasPrefix(r.Text, "unusual for ") {
					reasons++
				}
			}
		}
		return bits, reasons
	}
	if bits, reasons := forestParts(def); bits != 0 || reasons != 0 {
		t.Errorf("the default: %v forest bits, %d forest reasons; want none", bits, reasons)
	}
	if slices.ContainsFunc(s.code.codes, func(x float32) bool { return x != 0 }) {
		t.Error("the default's scorer encoded flows it does not count")
	}
	g := &model.File{Meta: def.File.Meta, Sections: slices.Clone(def.File.Sections)}
	g.Meta.Params = maps(def.File.Meta.Params)
	g.Meta.Params[paramScoring] = scoringBits
	all3, err := fileToModel(g)
	if err != nil {
		t.Fatal(err)
	}
	if bits, _ := forestParts(all3); bits == 0 {
		t.Error("the default scoring all three parts: no forest bits")
	}
	_, site := trainHybridOn(t, lab(t, labset.Benign, 40, 3))
	if site.File.Meta.Params[paramScoring] != scoringBits {
		t.Errorf("a site's model scores %q", site.File.Meta.Params[paramScoring])
	}
	if bits, _ := forestParts(site); bits == 0 {
		t.Error("a site's model: no forest bits")
	}
}
