package iforest

import "fmt"

// Contributions writes into out, for each feature, how much the splits on
// that feature shortened row's isolation paths, averaged over the trees.
//
// Definition: below a node that holds n training rows, the expected depth
// still to go is c(n). When row passes a split on feature j from a node of
// n rows into a child of m rows, the split costs one level and leaves c(m),
// so it credits j with c(n) - 1 - c(m). A split that cuts row off with few
// others earns a large credit; one that keeps it with the crowd earns about
// zero or a little less. Summed along a path the credits telescope, so
//
//	Σ_j out[j] = c(MaxSamples) - E[h(row)]
//
// and the score is 2^(Σ_j out[j]/c(MaxSamples) - 1): the contributions split
// exactly the part of the score above 0.5. The result is deterministic. It
// does not allocate and panics if len(row) or len(out) != NumFeatures().
func (f *Forest) Contributions(row []float32, out []float64) {
	f.checkRow(row)
	if len(out) != f.features {
		panic(fmt.Sprintf("iforest: Contributions out has %d entries, forest has %d features", len(out), f.features))
	}
	clear(out)
	switch {
	case f.steps <= maxLockstep && f.features <= keyStride:
		var keys [keyStride]uint32
		toKeys(keys[:f.features], row)
		f.contributionsKeys(&keys, out)
	case f.steps <= maxLockstep:
		f.contributionsLockstep(row, out)
	default:
		f.contributionsTreeByTree(row, out)
	}
	inv := 1 / float64(len(f.roots))
	for j := range out {
		out[j] *= inv
	}
}

// Lockstep walks: maxLockstep bounds the depth of a forest walked so
// (deeper ones, which no fit makes with the default sample, are walked a
// tree at a time), lockstepTrees how many trees are walked together.
const (
	maxLockstep   = 32
	lockstepTrees = 4
)

// credit is one split's credit to its feature.
type credit struct {
	feature int32
	c       float64
}

// contributionsLockstep is Contributions' sum with lockstepTrees trees
// walked together, so that their nodes' loads overlap (one tree's walk is
// a chain of dependent loads, most of them cache misses for a flow just
// scored). Each tree's credits are recorded, then added tree by tree in
// path order: the same additions in the same order as a walk of one tree
// at a time, hence the same bits.
func (f *Forest) contributionsLockstep(row []float32, out []float64) {
	var paths [lockstepTrees][maxLockstep]credit
	var lens [lockstepTrees]int
	var at [lockstepTrees]int32
	for t := 0; t < len(f.roots); t += lockstepTrees {
		k := min(lockstepTrees, len(f.roots)-t)
		for j := range k {
			at[j], lens[j] = f.roots[t+j], 0
		}
		for walking := true; walking; {
			walking = false
			for j := range k {
				i := at[j]
				if f.isLeaf(i) {
					continue
				}
				walking = true
				n := &f.nodes[i]
				next := step(f.nodes, row, i)
				paths[j][lens[j]] = credit{n.feature, f.cOf[n.size] - 1 - f.cOf[f.nodes[next].size]}
				lens[j]++
				at[j] = next
			}
		}
		for j := range k {
			for _, cr := range paths[j][:lens[j]] {
				out[cr.feature] += cr.c
			}
		}
	}
}

// contributionsTreeByTree adds each split's isolation to out, one tree
// after another (Contributions before its scale; the lockstep walk's
// reference).
func (f *Forest) contributionsTreeByTree(row []float32, out []float64) {
	for _, i := range f.roots {
		for !f.isLeaf(i) {
			n := &f.nodes[i]
			next := step(f.nodes, row, i)
			out[n.feature] += f.cOf[n.size] - 1 - f.cOf[f.nodes[next].size]
			i = next
		}
	}
}
