package signature

import "testing"

// BenchmarkGroup groups an alert's reasons of every layer.
func BenchmarkGroup(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Group(groupReasons)
	}
}
