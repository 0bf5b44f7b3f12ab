package iforest

import (
	"math"
	"testing"
)

// walkScore is the score from a plain walk to each leaf with float
// comparisons against the fitted thresholds: the reference for the fast
// paths.
func walkScore(f *Forest, row []float32) float64 {
	var sum float64
	for _, i := range f.roots {
		depth := 0
		for !f.isLeaf(i) {
			n := f.nodes[i]
			if row[n.feature] < f.thresh[i] {
				i = n.left
			} else {
				i = n.left + 1
			}
			depth++
		}
		sum += float64(depth) + avgPathLength(int(f.nodes[i].size))
	}
	return math.Exp2(-sum / float64(f.Trees()) / avgPathLength(f.MaxSamples()))
}

// edgeRows are rows whose values sit on the forest's split thresholds, just
// either side of them, at ±0 and at ±Inf: where a wrong key or comparison
// would send a row the other way.
func edgeRows(f *Forest, seed uint64) [][]float32 {
	rows := gaussian(64, f.features, seed)
	for r, row := range rows {
		for i, n := range f.nodes {
			if f.isLeaf(int32(i)) || (i+r)%5 != 0 {
				continue
			}
			t := f.thresh[i]
			switch r % 4 {
			case 0:
				row[n.feature] = t
			case 1:
				row[n.feature] = math.Nextafter32(t, float32(math.Inf(-1)))
			case 2:
				row[n.feature] = math.Nextafter32(t, float32(math.Inf(1)))
			case 3:
				row[n.feature] = float32(math.Copysign(0, float64(r%8-4)))
			}
		}
	}
	rows[0][0] = float32(math.Inf(1))
	rows[1][0] = float32(math.Inf(-1))
	return rows
}

// TestScorePaths checks, for a forest that takes the key paths and one too
// wide for them, that Score agrees with the reference walk, that on the key
// paths it is bit-identical to pathSum (the step loop), and that ScoreBatch
// is bit-identical to Score for batch sizes around its block of 8 rows.
func TestScorePaths(t *testing.T) {
	for _, tc := range []struct {
		name     string
		features int
		trees    int
	}{
		{"narrow", 24, 37},           // tail of 5 trees after the 8-tree groups
		{"at stride", keyStride, 16}, // the widest the key paths take
		{"wide", keyStride + 1, 11},  // pathSum only
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := mustFit(t, gaussian(600, tc.features, 20), Config{Trees: tc.trees, MaxSamples: 128, Seed: 4})
			rows := append(gaussian(40, tc.features, 21), edgeRows(f, 22)...)
			for i, r := range rows {
				got := f.Score(r)
				if want := walkScore(f, r); math.Abs(got-want) > 1e-12 {
					t.Fatalf("row %d: Score %v, reference walk %v", i, got, want)
				}
				if want := f.score(f.pathSum(r)); got != want {
					t.Fatalf("row %d: Score %v, step loop %v: not bit-identical", i, got, want)
				}
			}
			for _, n := range []int{0, 1, 7, 8, 9, 16, 23, len(rows)} {
				out := make([]float64, n)
				f.ScoreBatch(rows[:n], out)
				for i, r := range rows[:n] {
					if want := f.Score(r); out[i] != want {
						t.Fatalf("batch of %d, row %d: %v, Score gives %v", n, i, out[i], want)
					}
				}
			}
			out := make([]float64, 9)
			if a := testing.AllocsPerRun(20, func() { f.ScoreBatch(rows[:9], out) }); a != 0 {
				t.Errorf("ScoreBatch: %v allocs per run", a)
			}
		})
	}
}
