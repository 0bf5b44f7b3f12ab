package evidence

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// A Weight is what a check weighs for the flows of one era, and the rate
// it was counted from.
type Weight struct {
	Rate Rate
	// From is the era whose flows the rate was counted on; -1: the whole
	// corpus (an era's own rate stands only where it differs beyond
	// chance).
	From int
	Bits float64
	// Decides: a breach the corpus never showed, raised to the model's
	// threshold, in a flow whose capture missed none of its bytes.
	Decides bool
}

// A Calibration is one check's weights: for a flow of no era (an undated
// capture, or a table without eras) and for a flow of each era.
type Calibration struct {
	CheckInfo
	Whole Weight
	Eras  []Weight
}

// EraStarts are when the table's eras begin (none without eras; the
// first era begins with time).
func (t *Table) EraStarts() []time.Time {
	out := make([]time.Time, len(t.Eras))
	for i, e := range t.Eras {
		out[i] = e.From
	}
	return out
}

// Calibrations are the weights of a table made by Calibrate or decoded,
// check by check, in Catalog's order. A dynamic check gives one row per
// label the corpus showed ("proto.not_tls.http") and one for every label
// it did not (its id ending in ".*").
func (t *Table) Calibrations() []Calibration {
	var out []Calibration
	for _, info := range dynamicInfos() {
		prefix := strings.TrimSuffix(info.ID, "*")
		var labels []string
		for id := range t.Rates {
			if l, ok := strings.CutPrefix(id, prefix); ok {
				labels = append(labels, l)
			}
		}
		slices.Sort(labels)
		for _, l := range append(labels, "") {
			row := info
			if l != "" {
				row.ID, row.What = prefix+l, fmt.Sprintf("As `%s`, for %q, which the corpus showed.", info.ID, l)
			} else if len(labels) > 0 {
				row.What += " This row: every one the corpus never showed."
			}
			out = append(out, Calibration{CheckInfo: row, Whole: t.labelWeight(&t.all, prefix, l),
				Eras: eraWeights(t, func(w *weights) Weight { return t.labelWeight(w, prefix, l) })})
		}
	}
	for i, c := range checks {
		out = append(out, Calibration{CheckInfo: c.info(), Whole: t.fixedWeight(&t.all, i),
			Eras: eraWeights(t, func(w *weights) Weight { return t.fixedWeight(w, i) })})
	}
	return out
}

func eraWeights(t *Table, of func(*weights) Weight) []Weight {
	out := make([]Weight, len(t.eraW))
	for e := range t.eraW {
		out[e] = of(&t.eraW[e])
	}
	return out
}

// fixedWeight is fixed check i's weight under w.
func (t *Table) fixedWeight(w *weights, i int) Weight {
	rates, _, _ := t.counts(w.src[i])
	return Weight{Rate: rates[checks[i].id], From: w.src[i], Bits: w.bits[i], Decides: w.decides[i]}
}

// labelWeight is the weight of a protocol label or preamble kind l under
// w ("": one the corpus never showed).
func (t *Table) labelWeight(w *weights, prefix, l string) Weight {
	src, bits, unseen := w.ntSrc, w.notTLS, w.unseenNT
	if prefix == prefixPreamble {
		src, bits, unseen = w.prSrc, w.preamble, w.unseenPr
	}
	rates, spoke, hello := t.counts(src)
	if prefix == prefixPreamble {
		spoke = hello // the flows a preamble check applies to
	}
	r, ok := rates[prefix+l]
	if !ok { // a label the source's flows never showed, or "" for all such
		r = Rate{Applied: spoke}
	}
	return Weight{Rate: r, From: src, Bits: bitsOr(bits, l, unseen)}
}
