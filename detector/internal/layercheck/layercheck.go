package layercheck

import (
	"fmt"
	"math"
)

// Check reports, wrapping errKind, the first of: w not wantW values, b not
// wantB values, a NaN or infinity in w or b. name is the layer's, as the
// model file names it ("conv1"): errors say "conv1.w has 10 values, want 12".
func Check(errKind error, name string, w, b []float32, wantW, wantB int) error {
	if len(w) != wantW {
		return fmt.Errorf("%w: %s.w has %d values, want %d", errKind, name, len(w), wantW)
	}
	if len(b) != wantB {
		return fmt.Errorf("%w: %s.b has %d values, want %d", errKind, name, len(b), wantB)
	}
	if j := nonFinite(w); j >= 0 {
		return fmt.Errorf("%w: %s.w[%d] is %v", errKind, name, j, w[j])
	}
	if j := nonFinite(b); j >= 0 {
		return fmt.Errorf("%w: %s.b[%d] is %v", errKind, name, j, b[j])
	}
	return nil
}

// nonFinite returns the index of the first NaN or infinity in v, or -1.
func nonFinite(v []float32) int {
	for i, x := range v {
		if f := float64(x); math.IsNaN(f) || math.IsInf(f, 0) {
			return i
		}
	}
	return -1
}
