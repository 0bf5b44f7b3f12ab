package beacon

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestQuantileSelectMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for trial := range 2000 {
		n := 1 + r.IntN(60)
		xs := make([]float64, n)
		for i := range xs {
			if trial%3 == 0 {
				xs[i] = float64(r.IntN(4)) // many ties
			} else {
				xs[i] = r.NormFloat64()
			}
		}
		sorted := slices.Sorted(slices.Values(xs))
		for _, p := range []float64{0, 0.25, 0.5, 0.75, 1} {
			got := quantileSelect(slices.Clone(xs), p)
			if want := quantile(sorted, p); got != want {
				t.Fatalf("n=%d p=%v: select %v, sort %v (%v)", n, p, got, want, xs)
			}
		}
		for k := range n {
			ys := slices.Clone(xs)
			selectNth(ys, k)
			if ys[k] != sorted[k] {
				t.Fatalf("selectNth(%v, %d) = %v, want %v", xs, k, ys[k], sorted[k])
			}
			for i := range ys {
				if (i < k && ys[i] > ys[k]) || (i > k && ys[i] < ys[k]) {
					t.Fatalf("selectNth(%v, %d) left %v out of place: %v", xs, k, ys[i], ys)
				}
			}
		}
	}
	if quantile(nil, 0.5) != 0 || quantileSelect(nil, 0.5) != 0 {
		t.Error("empty input: want 0")
	}
}

func TestMeasureRhythm(t *testing.T) {
	s := float64(time.Second)
	// 60 s beats, one missed (120 s), one missed twice (180 s), one extra
	// connection (20 s, short, then 40 s, two thirds of a period: taken for
	// one), one long silence (10 min).
	xs := []float64{60 * s, 61 * s, 59 * s, 120 * s, 60 * s, 180 * s, 20 * s, 40 * s, 600 * s, 60 * s, 62 * s, 58 * s}
	rh := measureRhythm(xs, make([]float64, len(xs)))
	if math.Abs(rh.period-60*s) > 0.5*s {
		t.Errorf("period %v, want 60 s", time.Duration(rh.period))
	}
	want := rhythm{intervals: 12, period: rh.period, single: 8, missed: 3, short: 1, gaps: 1}
	if rh != want {
		t.Errorf("got %+v, want %+v", rh, want)
	}
	if (measureRhythm(nil, nil) != rhythm{}) {
		t.Error("no intervals: want a zero rhythm")
	}
	// All intervals zero (duplicates): no period.
	if rh := measureRhythm([]float64{0, 0, 0}, make([]float64, 3)); rh.period != 0 {
		t.Errorf("zero intervals: period %v", rh.period)
	}
}

func TestMeasureSpread(t *testing.T) {
	got := measureSpread([]float64{1200, 1204, 1206, 1203, 9000}, make([]float64, 5))
	if got != (spread{median: 1204, mad: 2}) {
		t.Errorf("got %+v, want median 1204, MAD 2", got)
	}
	if measureSpread(nil, nil) != (spread{}) {
		t.Error("empty: want zero")
	}
}

func TestBeatChance(t *testing.T) {
	// The chance shares are those of exponential intervals: check them by
	// simulation.
	r := rand.New(rand.NewPCG(3, 3))
	xs := make([]float64, 200000)
	for i := range xs {
		xs[i] = r.ExpFloat64()
	}
	m := quantile(slices.Sorted(slices.Values(xs)), 0.5)
	for i, tau := range beatTolerances {
		n := 0
		for _, x := range xs {
			if math.Abs(x/m-1) <= tau {
				n++
			}
		}
		if got := float64(n) / float64(len(xs)); math.Abs(got-beatChance[i]) > 0.005 {
			t.Errorf("tolerance %v: simulated share %.4f, formula %.4f", tau, got, beatChance[i])
		}
	}
}
