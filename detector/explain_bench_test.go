package detector

import (
	"testing"

	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// BenchmarkExplain words the reasons of anomalous flows (what an alert
// costs beyond its score): fresh, and right after Score scored them (as
// the pipeline asks, reusing what Score computed).
func BenchmarkExplain(b *testing.B) {
	t := &testing.T{}
	m := trainForBench(b, model.KindHybrid, lab(t, labset.Benign, 256, 1))
	s, err := m.NewScorer()
	if err != nil {
		b.Fatal(err)
	}
	var in []Input
	for _, kind := range []string{labset.NonTLSSSH, labset.SelfSigned, labset.LegacyTLS10, labset.PreambleConnect} {
		for _, f := range lab(t, kind, 8, 2) {
			in = append(in, Input{Flow: f, TLS: tlsparse.FromFlow(f, nil)})
		}
	}
	for _, afterScore := range []bool{false, true} {
		name := "fresh"
		if afterScore {
			name = "after-score"
			s.Score(in, make([]float64, len(in)))
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, x := range in {
					s.Explain(x)
				}
			}
			b.ReportMetric(float64(b.N*len(in))/b.Elapsed().Seconds(), "explains/s")
		})
	}
}
