package eve

import (
	"math"
	"strconv"
	"testing"
)

func TestAppendThreshold(t *testing.T) {
	// Repeats and changes, and values whose bits differ but compare equal
	// (or do not compare equal to themselves).
	xs := []float64{21.079318771560057, 21.079318771560057, 4.76, 21.079318771560057, 0, math.Copysign(0, -1), 0, 1e300, 5e-324, math.NaN(), math.NaN(), math.Inf(1), 4.76, 4.76}
	for i, x := range xs {
		got := string(appendThreshold([]byte("x"), x))
		if want := "x" + strconv.FormatFloat(x, 'g', -1, 64); got != want {
			t.Errorf("%d: appendThreshold(%v) = %q, want %q", i, x, got, want)
		}
	}
}
