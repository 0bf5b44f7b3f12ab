package iforest

import (
	"testing"

	"github.com/tlsentry/tlsentry/internal/benchcpu"
)

// benchForest is the production shape: 100 trees of 256 samples over a
// 128-value code.
func benchForest(b *testing.B) (*Forest, [][]float32) {
	b.Helper()
	f := mustFit(b, gaussian(20000, 128, 30), Config{Seed: 1})
	// 256 rows: one batch of the detector's batcher, as Score sees them.
	return f, gaussian(256, 128, 31)
}

func BenchmarkScore(b *testing.B) {
	f, rows := benchForest(b)
	b.ReportAllocs()
	b.ResetTimer()
	var sink float64
	i := 0
	cpu := benchcpu.Start()
	for b.Loop() {
		sink += f.Score(rows[i&(len(rows)-1)])
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "scores/s")
	cpu.Report(b, float64(b.N), "scores")
	_ = sink
}

func BenchmarkScoreBatch(b *testing.B) {
	f, rows := benchForest(b)
	rows = rows[:256]
	out := make([]float64, len(rows))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := benchcpu.Start()
	for b.Loop() {
		f.ScoreBatch(rows, out)
	}
	b.ReportMetric(float64(b.N*len(rows))/b.Elapsed().Seconds(), "scores/s")
	cpu.Report(b, float64(b.N*len(rows)), "scores")
}

func BenchmarkContributions(b *testing.B) {
	f, rows := benchForest(b)
	out := make([]float64, 128)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		f.Contributions(rows[i&(len(rows)-1)], out)
		i++
	}
}

func BenchmarkFit(b *testing.B) {
	rows := gaussian(20000, 128, 30)
	b.ReportAllocs()
	for b.Loop() {
		mustFit(b, rows, Config{Seed: 1})
	}
}
