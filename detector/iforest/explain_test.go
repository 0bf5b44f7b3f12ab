package iforest

import (
	"math"
	"testing"
)

// TestContributionsLockstepIsTreeByTree: walking trees in lockstep (by
// keys, eight at a time, as Contributions does; by floats, four at a time,
// for wide forests) gives
// the bits of the walk one tree at a time (the same additions in the same
// order), for forests whose tree count is and is not a multiple of the
// lockstep, and for rows in and far out of the training cloud.
func TestContributionsLockstepIsTreeByTree(t *testing.T) {
	for _, trees := range []int{1, 7, 100} {
		f := mustFit(t, gaussian(3000, 24, 5), Config{Trees: trees, Seed: 9})
		if f.steps > maxLockstep {
			t.Fatalf("%d trees: depth %d over the lockstep bound %d", trees, f.steps, maxLockstep)
		}
		rows := gaussian(50, 24, 6)
		for i := range rows[:10] {
			for j := range rows[i] {
				rows[i][j] *= 40 // outliers: short paths
			}
		}
		got, want, floats := make([]float64, 24), make([]float64, 24), make([]float64, 24)
		for _, row := range rows {
			f.Contributions(row, got) // the keyed walk
			clear(want)
			f.contributionsTreeByTree(row, want)
			clear(floats)
			f.contributionsLockstep(row, floats)
			for j := range want {
				if math.Float64bits(floats[j]) != math.Float64bits(want[j]) {
					t.Fatalf("%d trees, feature %d: float lockstep %v, tree by tree %v", trees, j, floats[j], want[j])
				}
				want[j] *= 1 / float64(len(f.roots))
				if math.Float64bits(got[j]) != math.Float64bits(want[j]) {
					t.Fatalf("%d trees, feature %d: keyed lockstep %v, tree by tree %v", trees, j, got[j], want[j])
				}
			}
		}
	}
}
