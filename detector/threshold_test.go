package detector

import (
	"testing"

	"github.com/tlsentry/tlsentry/detector/eval"
)

// TestAlertThresholdAboveTies: a threshold on a score training flows tie
// at would flag all of them; it sits just above instead, and where no
// flow scores the quantile it is the quantile.
func TestAlertThresholdAboveTies(t *testing.T) {
	flagged := func(sorted []float64, th float64) (n int) {
		for _, s := range sorted {
			if s >= th { // how a flow alerts (sensor/verdict)
				n++
			}
		}
		return n
	}
	// 1,000 flows: 990 ordinary ones, then ten of one client stack to one
	// server that score the same.
	tied := make([]float64, 0, 1000)
	for i := range 990 {
		tied = append(tied, float64(i)/100)
	}
	for range 10 {
		tied = append(tied, 12.5)
	}
	q := eval.Quantile(tied, 1-0.001)
	if q != 12.5 {
		t.Fatalf("the test wants the quantile on the tied score, got %v", q)
	}
	th := alertThreshold(tied, 0.001)
	if th <= 12.5 || th > 12.5+1e-9 {
		t.Errorf("threshold %v, want just above 12.5", th)
	}
	if n := flagged(tied, th); n != 0 {
		t.Errorf("%d of 1,000 training flows flagged at a 0.1%% alert rate", n)
	}
	if n := flagged(tied, q); n != 10 {
		t.Fatalf("the quantile itself flags %d (the test's premise: all ten)", n)
	}

	spread := make([]float64, 1000)
	for i := range spread {
		spread[i] = float64(i) / 10
	}
	if th, q := alertThreshold(spread, 0.01), eval.Quantile(spread, 0.99); th != q {
		t.Errorf("no tie: threshold %v, want the quantile %v", th, q)
	}
	if n := flagged(spread, alertThreshold(spread, 0.01)); n != 10 {
		t.Errorf("no tie: %d of 1,000 flagged at 1%%, want 10", n)
	}
}
