package detector

import (
	"math"
	"slices"

	"github.com/tlsentry/tlsentry/detector/eval"
)

// alertThreshold is the threshold that flags alertRate of the sorted
// scores: their (1 - alertRate) quantile, or, when that is a score some
// of them take, the next number above it. Flows alert on a score at or
// above the threshold, and a network's training flows tie often (one
// client stack to one server scores the same every time): a threshold on
// a tied score would flag every flow of that shape, in training and
// after, up to many times the rate asked for.
func alertThreshold(sorted []float64, alertRate float64) float64 {
	t := eval.Quantile(sorted, 1-alertRate)
	if _, tied := slices.BinarySearch(sorted, t); tied {
		t = math.Nextafter(t, math.Inf(1))
	}
	return t
}
