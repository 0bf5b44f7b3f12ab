package beacon

import "math"

// maxFold is the most beats one interval may span and still be taken as
// whole periods with beats missed in between; a longer silence is a gap
// (a host asleep, a beacon paused) and left out of the statistics.
const maxFold = 4

// rhythm is what the intervals between a pair's connections show.
type rhythm struct {
	intervals int     // intervals between the ring's connections
	period    float64 // median interval with missed beats folded, nanoseconds
	single    int     // intervals of one period (half to one and a half)
	missed    int     // beats inferred missing inside longer intervals
	short     int     // intervals under half a period: extra connections
	gaps      int     // intervals over maxFold periods
}

// measureRhythm finds the period of intervals xs (nanoseconds, any order)
// and sorts the intervals by how many periods they span, using folded as
// scratch (at least len(xs) long). An interval that is a whole multiple of
// the period is a run of missed beats: divided by its multiple, it counts
// toward the period, so a beacon that skips one beat in ten keeps its
// period. The period is estimated twice: first as the median raw interval
// (biased up by missed beats), then as the median of the intervals folded
// by it.
func measureRhythm(xs, folded []float64) rhythm {
	r := rhythm{intervals: len(xs)}
	if len(xs) == 0 {
		return r
	}
	period := quantileSelect(append(folded[:0], xs...), 0.5)
	for pass := 0; pass < 2 && period > 0; pass++ {
		r = rhythm{intervals: len(xs)}
		ys := folded[:0]
		for _, x := range xs {
			k := math.Floor(x/period + 0.5)
			switch {
			case k < 1:
				r.short++
			case k > maxFold:
				r.gaps++
			default:
				if k == 1 {
					r.single++
				}
				r.missed += int(k) - 1
				ys = append(ys, x/k)
			}
		}
		if len(ys) == 0 {
			return r
		}
		period = quantileSelect(ys, 0.5)
		r.period = period
	}
	return r
}

// spread is a robust centre and dispersion.
type spread struct {
	median, mad float64
}

// measureSpread computes the median and the median absolute deviation of
// xs (reordered in place) using dev as scratch.
func measureSpread(xs, dev []float64) spread {
	if len(xs) == 0 {
		return spread{}
	}
	m := quantileSelect(xs, 0.5)
	ds := dev[:len(xs)]
	for i, x := range xs {
		ds[i] = math.Abs(x - m)
	}
	return spread{median: m, mad: quantileSelect(ds, 0.5)}
}

// quantile is the p-quantile of sorted xs, interpolated between order
// statistics (Hyndman and Fan's type 7, as R and NumPy by default).
func quantile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	h := p * float64(n-1)
	lo := int(h)
	if lo >= n-1 {
		return sorted[n-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// quantileSelect is quantile on unsorted xs, which it reorders: a
// selection in linear time instead of a sort (the scoring's hot spot).
func quantileSelect(xs []float64, p float64) float64 {
	n := len(xs)
	if n == 0 {
		return 0
	}
	h := p * float64(n-1)
	lo := int(h)
	if lo >= n-1 {
		selectNth(xs, n-1)
		return xs[n-1]
	}
	selectNth(xs, lo)
	a := xs[lo]
	if h == float64(lo) {
		return a
	}
	b := xs[lo+1] // the next order statistic: the least of the right part
	for _, x := range xs[lo+2:] {
		b = min(b, x)
	}
	return a + (h-float64(lo))*(b-a)
}

// selectNth reorders xs so that xs[k] is the value a sort would put there,
// with nothing greater before it and nothing less after it (quickselect,
// median-of-three pivots, insertion sort for short ranges). NaN is not
// expected: the inputs are durations and sizes.
func selectNth(xs []float64, k int) {
	lo, hi := 0, len(xs)-1
	for hi-lo > 12 {
		mid := lo + (hi-lo)/2
		// Order xs[lo], xs[mid], xs[hi]; the median becomes the pivot.
		if xs[mid] < xs[lo] {
			xs[mid], xs[lo] = xs[lo], xs[mid]
		}
		if xs[hi] < xs[lo] {
			xs[hi], xs[lo] = xs[lo], xs[hi]
		}
		if xs[hi] < xs[mid] {
			xs[hi], xs[mid] = xs[mid], xs[hi]
		}
		pivot := xs[mid]
		i, j := lo, hi
		for i <= j {
			for xs[i] < pivot {
				i++
			}
			for xs[j] > pivot {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return // xs[j+1:i] all equal the pivot, k among them
		}
	}
	for i := lo + 1; i <= hi; i++ {
		for j := i; j > lo && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}
