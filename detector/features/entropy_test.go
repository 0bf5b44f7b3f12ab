package features

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// entropyScan is byteEntropy as a scan of all 256 counts, in byte order.
func entropyScan(s string) float64 {
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	e := 0.0
	for _, k := range counts {
		if k > 0 {
			p := float64(k) / n
			e -= p * math.Log2(p)
		}
	}
	return e
}

// TestByteEntropyIsScan: skipping the absent byte values, and taking the
// logarithms from a table, gives the bits of the full scan (same terms,
// same order), for names and for hostile bytes of every value.
func TestByteEntropyIsScan(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	in := []string{"a", "example.com", "xn--80ak6aa92e.com", "aaaa", strings.Repeat("ab-9.", 50)}
	for range 200 {
		b := make([]byte, 1+r.IntN(300))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		in = append(in, string(b))
	}
	// Every count of every length the logarithm table covers, and past it.
	for n := 1; n <= 70; n++ {
		for k := 1; k <= n; k++ {
			b := []byte(strings.Repeat("a", k))
			for i := k; i < n; i++ {
				b = append(b, byte('b'+i%7))
			}
			in = append(in, string(b))
		}
	}
	for _, s := range in {
		if got, want := byteEntropy(s), entropyScan(s); math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%q: %v, scan gives %v", s, got, want)
		}
	}
	if e := byteEntropy("ab"); e != 1 {
		t.Errorf("entropy of \"ab\" = %v, want 1 bit", e)
	}
}
