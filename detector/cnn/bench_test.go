package cnn

import (
	"fmt"
	"testing"

	"github.com/tlsentry/tlsentry/internal/benchcpu"
)

// The encoders' throughput on random-byte images (no zero rows, so the
// fast encoder's zero-row shortcut never applies: its worst case).

func BenchmarkGorgoniaEncoder(b *testing.B) {
	w := NewWeights(1)
	for _, batch := range []int{64, 256} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			enc, err := NewGorgoniaEncoder(w, batch)
			if err != nil {
				b.Fatal(err)
			}
			defer enc.Close()
			x := flatten(randomImages(1, batch))
			codes := make([]float32, batch*CodeSize)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := benchcpu.Start()
			for b.Loop() {
				if err := enc.Encode(x, codes); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "flows/s")
			cpu.Report(b, float64(b.N*batch), "flows")
		})
	}
}

func BenchmarkEncoder(b *testing.B) {
	w := NewWeights(1)
	for _, batch := range []int{1, 64, 256} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			enc, err := NewEncoder(w, batch)
			if err != nil {
				b.Fatal(err)
			}
			x := flatten(randomImages(1, batch))
			codes := make([]float32, batch*CodeSize)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := benchcpu.Start()
			for b.Loop() {
				enc.Encode(x, batch, codes)
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "flows/s")
			cpu.Report(b, float64(b.N*batch), "flows")
		})
	}
}
