package vae

import "testing"

func benchScorer(b *testing.B) (*Scorer, [][]float32) {
	b.Helper()
	s, err := NewScorer(NewWeights(1))
	if err != nil {
		b.Fatal(err)
	}
	return s, normalImages(1, 256)
}

func BenchmarkScore(b *testing.B) {
	s, imgs := benchScorer(b)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		s.Score(imgs[i%len(imgs)])
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "flows/s")
}

func BenchmarkScoreBatch(b *testing.B) {
	s, imgs := benchScorer(b)
	scores := make([]float64, len(imgs))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		s.ScoreBatch(imgs, scores)
		n += len(imgs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "flows/s")
}
