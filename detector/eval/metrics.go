package eval

import (
	"cmp"
	"errors"
	"math"
	"slices"
)

// ErrNoData is returned when one of the classes is empty.
var ErrNoData = errors.New("eval: need at least one benign and one anomalous score")

// Report is the result of Evaluate.
type Report struct {
	Benign, Anomalous int
	ROCAUC            float64
	PRAUC             float64 // average precision, anomalies as the positive class
	// RecallAtFPR maps a false-positive rate (0.01, 0.001) to the recall
	// of the strictest threshold whose FPR stays at or below it.
	RecallAtFPR map[float64]float64
	// At the given threshold:
	Threshold         float64
	TruePos, FalsePos int
	Precision, Recall float64
	FalsePositiveRate float64
}

// Evaluate computes the report for the two classes' scores at threshold,
// with recall at each of the given false-positive rates.
func Evaluate(benign, anomalous []float64, threshold float64, fprs ...float64) (*Report, error) {
	if len(benign) == 0 || len(anomalous) == 0 {
		return nil, ErrNoData
	}
	r := &Report{Benign: len(benign), Anomalous: len(anomalous), Threshold: threshold, RecallAtFPR: map[float64]float64{}}
	r.ROCAUC = ROCAUC(benign, anomalous)
	r.PRAUC = AveragePrecision(benign, anomalous)
	for _, f := range fprs {
		r.RecallAtFPR[f] = RecallAtFPR(benign, anomalous, f)
	}
	for _, s := range anomalous {
		if s >= threshold {
			r.TruePos++
		}
	}
	for _, s := range benign {
		if s >= threshold {
			r.FalsePos++
		}
	}
	r.Recall = float64(r.TruePos) / float64(len(anomalous))
	r.FalsePositiveRate = float64(r.FalsePos) / float64(len(benign))
	if r.TruePos+r.FalsePos > 0 {
		r.Precision = float64(r.TruePos) / float64(r.TruePos+r.FalsePos)
	} else {
		r.Precision = math.NaN() // no alerts: precision undefined
	}
	return r, nil
}

// ROCAUC is the probability that a random anomalous score exceeds a
// random benign one, ties counting one half (Mann-Whitney U / n1 n2).
func ROCAUC(benign, anomalous []float64) float64 {
	all := labelled(benign, anomalous)
	slices.SortFunc(all, func(a, b scored) int { return cmp.Compare(a.s, b.s) })
	// Sum of the anomalies' ranks, ties given their average rank.
	var rankSum float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].s == all[i].s {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks i+1..j
		for k := i; k < j; k++ {
			if all[k].pos {
				rankSum += avg
			}
		}
		i = j
	}
	n1, n0 := float64(len(anomalous)), float64(len(benign))
	return (rankSum - n1*(n1+1)/2) / (n1 * n0)
}

// AveragePrecision is the area under the precision-recall curve as
// scikit-learn's average_precision_score computes it: the sum over
// distinct thresholds of (recall step) x precision.
func AveragePrecision(benign, anomalous []float64) float64 {
	all := labelled(benign, anomalous)
	slices.SortFunc(all, func(a, b scored) int { return cmp.Compare(b.s, a.s) }) // highest first
	var tp, fp, ap, prevRecall float64
	n := float64(len(anomalous))
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].s == all[i].s {
			if all[j].pos {
				tp++
			} else {
				fp++
			}
			j++
		}
		recall := tp / n
		ap += (recall - prevRecall) * tp / (tp + fp)
		prevRecall = recall
		i = j
	}
	return ap
}

// scored is a score with its class (pos: anomalous).
type scored struct {
	s   float64
	pos bool
}

func labelled(benign, anomalous []float64) []scored {
	all := make([]scored, 0, len(benign)+len(anomalous))
	for _, s := range benign {
		all = append(all, scored{s, false})
	}
	for _, s := range anomalous {
		all = append(all, scored{s, true})
	}
	return all
}

// RecallAtFPR is the recall of the lowest threshold whose false-positive
// rate is at most fpr (alerting on score >= threshold).
func RecallAtFPR(benign, anomalous []float64, fpr float64) float64 {
	b := slices.Clone(benign)
	slices.Sort(b)
	// At most k benign flows may score at or above the threshold.
	k := int(math.Floor(fpr*float64(len(b)) + 1e-9))
	// The threshold must lie above the (k+1)-th highest benign score.
	var limit float64
	if k >= len(b) {
		limit = math.Inf(-1)
	} else {
		limit = b[len(b)-1-k]
	}
	hits := 0
	for _, s := range anomalous {
		if s > limit {
			hits++
		}
	}
	return float64(hits) / float64(len(anomalous))
}

// Quantile is the q-quantile (0..1) of sorted values, linearly
// interpolated (numpy's default).
func Quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (pos-float64(lo))*(sorted[hi]-sorted[lo])
}
