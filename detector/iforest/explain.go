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
	for _, i := range f.roots {
		for !f.isLeaf(i) {
			n := &f.nodes[i]
			next := step(f.nodes, row, i)
			out[n.feature] += f.cOf[n.size] - 1 - f.cOf[f.nodes[next].size]
			i = next
		}
	}
	inv := 1 / float64(len(f.roots))
	for j := range out {
		out[j] *= inv
	}
}
