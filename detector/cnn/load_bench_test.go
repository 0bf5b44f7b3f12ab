package cnn

import (
	"math/rand/v2"
	"testing"
)

// benchPrefixes are 256 random prefixes of mixed lengths, a third shorter
// than 13 rows (as in the benchmark capture, whose short flows end in
// zero rows).
func benchPrefixes() [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	prefixes := make([][]byte, 256)
	for i := range prefixes {
		p := make([]byte, []int{1024, 1024, 517, 300, 1200, 90}[i%6])
		for j := range p {
			p[j] = byte(r.UintN(256))
		}
		prefixes[i] = p
	}
	return prefixes
}

// BenchmarkLoadBytes loads prefixes of mixed lengths (a batch's worth,
// as EncodePrefixes does before the convolutions).
func BenchmarkLoadBytes(b *testing.B) {
	enc, err := NewEncoder(NewWeights(1), 1)
	if err != nil {
		b.Fatal(err)
	}
	prefixes := benchPrefixes()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		enc.loadBytes(prefixes[i&255])
		i++
	}
}

// BenchmarkEncodePrefixes encodes a batch of benchPrefixes.
func BenchmarkEncodePrefixes(b *testing.B) {
	enc, err := NewEncoder(NewWeights(1), 256)
	if err != nil {
		b.Fatal(err)
	}
	prefixes := benchPrefixes()
	codes := make([]float32, 256*CodeSize)
	b.ReportAllocs()
	for b.Loop() {
		enc.EncodePrefixes(prefixes, 256, codes)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*256), "ns/prefix")
}
