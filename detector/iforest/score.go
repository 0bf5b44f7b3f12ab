package iforest

import (
	"fmt"
	"math"
)

// Score returns the anomaly score of row, 2^(-E[h(row)]/c(MaxSamples)), in
// (0, 1]: higher is more anomalous, about 0.5 or less is ordinary. A NaN in
// row takes the right branch of every split on its feature. Score does not
// allocate; it panics if len(row) != NumFeatures().
func (f *Forest) Score(row []float32) float64 {
	f.checkRow(row)
	return f.score(f.pathSum(row))
}

// ScoreBatch scores rows[i] into out[i]. It panics if the lengths differ.
func (f *Forest) ScoreBatch(rows [][]float32, out []float64) {
	if len(out) != len(rows) {
		panic(fmt.Sprintf("iforest: ScoreBatch with %d rows and %d outputs", len(rows), len(out)))
	}
	for i, r := range rows {
		f.checkRow(r)
		out[i] = f.score(f.pathSum(r))
	}
}

func (f *Forest) checkRow(row []float32) {
	if len(row) != f.features {
		panic(fmt.Sprintf("iforest: row has %d features, forest has %d", len(row), f.features))
	}
}

func (f *Forest) score(sum float64) float64 {
	return math.Exp2(-sum / float64(len(f.roots)) / f.cMax)
}

// pathSum is Σ over trees of h(row). It walks four trees at a time, each
// for exactly f.steps steps (leaves loop to themselves), so the four
// dependent chains of loads overlap and there is no branch to mispredict.
func (f *Forest) pathSum(row []float32) float64 {
	nodes, roots, steps := f.nodes, f.roots, f.steps
	var sum float64
	t := 0
	for ; t+4 <= len(roots); t += 4 {
		a, b, c, d := roots[t], roots[t+1], roots[t+2], roots[t+3]
		for range steps {
			a = step(nodes, row, a)
			b = step(nodes, row, b)
			c = step(nodes, row, c)
			d = step(nodes, row, d)
		}
		sum += f.leafPath[a] + f.leafPath[b] + f.leafPath[c] + f.leafPath[d]
	}
	for ; t < len(roots); t++ {
		a := roots[t]
		for range steps {
			a = step(nodes, row, a)
		}
		sum += f.leafPath[a]
	}
	return sum
}

// step moves from node i to the child row falls in; a leaf stays put.
func step(nodes []node, row []float32, i int32) int32 {
	n := &nodes[i]
	next := n.left + 1
	if row[n.feature] < n.threshold {
		next = n.left
	}
	return next
}
