package detector

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/detector/evidence"
	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// TestDefaultViolationsAlert: out of the box, a ClientHello that does not
// parse or stops short, which the public corpus never showed, alerts on
// that fact alone, and its reason says so; an ordinary fact (no SNI)
// keeps its rate's weight.
func TestDefaultViolationsAlert(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.NewScorer()
	if err != nil {
		t.Fatal(err)
	}
	judge := func(kind string, n int) ([]float64, [][]Reason) {
		flows := lab(t, kind, n, 5)
		in := make([]Input, len(flows))
		for i, f := range flows {
			in[i] = Input{Flow: f, TLS: tlsparse.FromFlow(f, nil)}
		}
		scores := make([]float64, len(in))
		s.Score(in, scores)
		reasons := make([][]Reason, len(in))
		for i := range in {
			reasons[i] = s.Explain(in[i])
		}
		return scores, reasons
	}
	for _, kind := range []string{labset.MalformedHello, labset.TruncatedHello} {
		scores, reasons := judge(kind, 12)
		decided := 0
		for i, sc := range scores {
			k := slices.IndexFunc(reasons[i], func(r Reason) bool {
				return r.Feature == "hs.client_malformed" || r.Feature == "hs.client_truncated"
			})
			if k < 0 {
				continue // a mutation that left the hello whole
			}
			decided++
			if r := reasons[i][k]; sc < m.Threshold() || r.Weight < m.Threshold() || !strings.Contains(r.Text, "alerts on its own") {
				t.Errorf("%s: score %.2f (threshold %.2f), reason %q weighs %.2f", kind, sc, m.Threshold(), r.Text, r.Weight)
			}
		}
		if decided < len(scores)/2 {
			t.Errorf("%s: %d of %d flows show the violation", kind, decided, len(scores))
		}
	}
	_, reasons := judge(labset.OddCiphersNoSNI, 4)
	for _, rs := range reasons {
		for _, r := range rs {
			if r.Feature == "sni.missing" && (r.Weight >= m.Threshold() || strings.Contains(r.Text, "alerts on its own")) {
				t.Errorf("no SNI weighs %.2f: %q", r.Weight, r.Text)
			}
		}
	}
}

// TestSiteLearnsItsBreaches: a model trained on a site whose own flows
// include cut hellos (the public corpus's evidence, as the lab's models
// take it) knows that breach: there it weighs its corpus rate and its
// reason does not say it decides; a breach training did not show still
// does.
func TestSiteLearnsItsBreaches(t *testing.T) {
	ev, err := DefaultEvidence()
	if err != nil {
		t.Fatal(err)
	}
	flows := append(lab(t, labset.Benign, 40, 1), lab(t, labset.TruncatedHello, 4, 1)...)
	f, err := Train(context.Background(), flows, TrainConfig{
		Kind: model.KindHybrid, Epochs: 1, Batch: 16, Seed: 3, Trees: 50, AlertRate: 0.05, Evidence: ev,
	})
	if err != nil {
		t.Fatal(err)
	}
	var site evidence.Table
	if err := unmarshalSection(f, evidenceSection, &site); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(site.KnownBreaches, "hs.client_truncated") || slices.Contains(site.KnownBreaches, "hs.client_malformed") {
		t.Fatalf("the site's breaches: %q", site.KnownBreaches)
	}
	m, err := fileToModel(f)
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.NewScorer()
	if err != nil {
		t.Fatal(err)
	}
	for _, fl := range lab(t, labset.TruncatedHello, 4, 9) {
		for _, r := range s.Explain(Input{Flow: fl, TLS: tlsparse.FromFlow(fl, nil)}) {
			if r.Feature == "hs.client_truncated" && strings.Contains(r.Text, "alerts on its own") {
				t.Errorf("the site's own breach decides: %q", r.Text)
			}
		}
	}
}
