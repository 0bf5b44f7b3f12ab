package signature

import (
	"testing"

	"github.com/tlsentry/tlsentry/detector/scoring"
)

// BenchmarkGroup groups an alert's usual reasons: a few evidence checks,
// novelty, a forest region.
func BenchmarkGroup(b *testing.B) {
	reasons := []scoring.Reason{
		{Layer: scoring.LayerEvidence, Feature: "cert.self_signed", Weight: 8.6},
		{Layer: scoring.LayerEvidence, Feature: "sni.missing", Weight: 3.9},
		{Layer: scoring.LayerEvidence, Feature: "cert.placeholder_name", Weight: 8.6},
		{Layer: scoring.LayerLearned, Feature: "tls.ja4", Weight: 5},
		{Layer: scoring.LayerLearned, Feature: "prefix.bytes", Weight: 1.2},
	}
	b.ReportAllocs()
	for b.Loop() {
		Group(reasons)
	}
}
