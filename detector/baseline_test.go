package detector

import (
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/detector/scoring"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// TestReasonsNameTheBaseline: the learned reasons say what the flow was
// compared with. The embedded default never saw the sensor's network: its
// reasons say "the public corpus"; a model trained on a network says
// "this network"; the default updated with a network's flows says both.
func TestReasonsNameTheBaseline(t *testing.T) {
	def, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	ssh := lab(t, labset.NonTLSSSH, 2, 7)
	learned := func(m *Model) []string {
		t.Helper()
		s, err := m.NewScorer()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, fl := range ssh {
			in := Input{Flow: fl, TLS: tlsparse.FromFlow(fl, nil)}
			s.Score([]Input{in}, make([]float64, 1))
			for _, r := range s.Explain(in) {
				if r.Layer == scoring.LayerLearned {
					out = append(out, r.Text)
				}
			}
		}
		if len(out) == 0 {
			t.Fatal("the SSH flows gave no learned reason")
		}
		return out
	}
	says := func(what string, texts []string, want string, not ...string) {
		t.Helper()
		for _, s := range texts {
			if !strings.Contains(s, want) {
				t.Errorf("%s: %q does not name %q", what, s, want)
			}
			for _, n := range not {
				if strings.Contains(s, n) {
					t.Errorf("%s: %q names %q", what, s, n)
				}
			}
		}
	}
	says("the default", learned(def), "the public corpus", "this network")
	_, site := trainHybridOn(t, lab(t, labset.Benign, 40, 3))
	says("a site's model", learned(site), "this network", "public corpus")
	g, _, err := Update(def.File, lab(t, labset.Benign, 12, 5))
	if err != nil {
		t.Fatal(err)
	}
	updated, err := fileToModel(g)
	if err != nil {
		t.Fatal(err)
	}
	says("the updated default", learned(updated), "the public corpus and this network")
}
