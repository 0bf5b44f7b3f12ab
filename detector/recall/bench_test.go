package recall

import "testing"

// BenchmarkRemember streams three times DefaultSize servers that each
// showed a certificate, with some shown again: the oldest give way and
// the queue is compacted as it goes.
func BenchmarkRemember(b *testing.B) {
	m := New(0, 0)
	const n = 3 * DefaultSize
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		m.Remember(key(i%n), shown(uint64(i), t0))
		if i%3 == 0 {
			m.Remember(key((i+n-5)%n), shown(uint64(i), t0))
		}
		i++
	}
}
