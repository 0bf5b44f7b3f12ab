package pipeline

import (
	"testing"

	"github.com/tlsentry/tlsentry/detector"
	"github.com/tlsentry/tlsentry/detector/scoring"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// BenchmarkScoreDefault scores the flows of benchFlows (those with a
// prefix, their handshakes parsed beforehand) with the embedded default
// model, a batch of 256 at a time as the workers do: the score-only part
// of tlsentry score per flow.
func BenchmarkScoreDefault(b *testing.B) {
	m, err := detector.Default()
	if err != nil {
		b.Skip(err)
	}
	s, err := m.NewScorer()
	if err != nil {
		b.Fatal(err)
	}
	var in []scoring.Input
	for _, f := range benchFlows(b, 4096) {
		if len(f.Prefix) > 0 {
			in = append(in, scoring.Input{Flow: f, TLS: tlsparse.FromFlow(f, nil)})
		}
	}
	out := make([]float64, len(in))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i := 0; i < len(in); i += 256 {
			s.Score(in[i:min(i+256, len(in))], out[i:min(i+256, len(in))])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/(float64(b.N)*float64(len(in))), "ns/flow")
}
