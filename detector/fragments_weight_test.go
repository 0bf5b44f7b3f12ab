package detector

import (
	"slices"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// TestDefaultWeighsTinyFragments: benign connections whose client's or
// server's packets came in IP fragments smaller than any link needs (as
// the capture reports them) alert with the default model, saying so, and
// score at least 8 bits above the same connections come whole.
func TestDefaultWeighsTinyFragments(t *testing.T) {
	m, convs := defaultAndBenign(t)
	plain, err := labset.FlowsOf("benign", convs, 5)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := m.NewScorer()
	for _, side := range []string{"client", "server"} {
		for _, f := range plain {
			cut := *f
			tiny := &flow.Fragmented{Segments: 3, Smallest: 68}
			if side == "client" {
				cut.ClientTinyFragments = tiny
			} else {
				cut.ServerTinyFragments = tiny
			}
			in := []Input{{Flow: f, TLS: tlsparse.FromFlow(f, nil)}, {Flow: &cut, TLS: tlsparse.FromFlow(&cut, nil)}}
			scores := make([]float64, 2)
			s.Score(in, scores)
			if scores[1] < m.Threshold() || scores[1]-scores[0] < 8 {
				t.Errorf("%s: score %.2f in tiny fragments, %.2f whole (threshold %.2f)", side, scores[1], scores[0], m.Threshold())
			}
			reasons := s.Explain(in[1])
			// A breach of IP, which a flow of any protocol can commit.
			if !slices.ContainsFunc(reasons, func(r Reason) bool {
				return r.Feature == "ip.tiny_fragments" && r.Weight >= 8 && strings.Contains(r.Text, "a breach of IP ") && !strings.Contains(r.Text, "of TLS")
			}) {
				t.Errorf("%s: the fragments are not among the reasons %+v", side, reasons)
			}
		}
	}
}
