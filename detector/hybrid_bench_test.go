package detector

import (
	"testing"

	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// BenchmarkScoreKinds scores 256 flows with parsed handshakes given, with
// each model kind: flows/s per kind in one run.
func BenchmarkScoreKinds(b *testing.B) {
	t := &testing.T{}
	flows := lab(t, labset.Benign, 256, 1)
	in := make([]Input, len(flows))
	for i, f := range flows {
		in[i] = Input{Flow: f, TLS: tlsparse.FromFlow(f, nil)}
	}
	for _, kind := range []string{model.KindCNNIForest, model.KindHybrid} {
		m := trainForBench(b, kind, flows)
		s, err := m.NewScorer()
		if err != nil {
			b.Fatal(err)
		}
		out := make([]float64, len(in))
		b.Run(kind, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.Score(in, out)
			}
			b.ReportMetric(float64(b.N*len(in))/b.Elapsed().Seconds(), "flows/s")
		})
	}
}
