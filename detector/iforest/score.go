package iforest

import (
	"fmt"
	"math"
)

// Score returns the anomaly score of row, 2^(-E[h(row)]/c(MaxSamples)), in
// (0, 1]: higher is more anomalous, about 0.5 or less is ordinary. Rows
// should be finite, as in training; a NaN follows a deterministic but
// meaningless path (right if its sign bit is clear, left if set). Score does
// not allocate; it panics if len(row) != NumFeatures().
func (f *Forest) Score(row []float32) float64 {
	f.checkRow(row)
	if f.features > keyStride {
		return f.score(f.pathSum(row))
	}
	var keys [keyStride]uint32
	toKeys(keys[:f.features], row)
	return f.score(f.pathSumKeys(&keys))
}

// ScoreBatch scores rows[i] into out[i], exactly as Score would. It panics
// if the lengths differ. It converts eight rows at a time to keys and walks
// each tree for the eight at once (score_keys.go), adding each row's path
// lengths in tree order, as Score does, so the scores are identical.
func (f *Forest) ScoreBatch(rows [][]float32, out []float64) {
	if len(out) != len(rows) {
		panic(fmt.Sprintf("iforest: ScoreBatch with %d rows and %d outputs", len(rows), len(out)))
	}
	for _, r := range rows {
		f.checkRow(r)
	}
	i := 0
	if f.features <= keyStride {
		var keys [blockRows][keyStride]uint32
		for ; i+blockRows <= len(rows); i += blockRows {
			for r := range blockRows {
				toKeys(keys[r][:f.features], rows[i+r])
			}
			var sums [blockRows]float64
			f.pathSumsKeys(&keys, &sums)
			o := out[i : i+blockRows : i+blockRows]
			for r, s := range sums {
				o[r] = f.score(s)
			}
		}
	}
	for ; i < len(rows); i++ {
		out[i] = f.Score(rows[i])
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

// pathSum is Σ over trees of h(row), for forests too wide for the key
// buffers. It walks eight trees at a time, each for exactly f.steps steps
// (leaves loop to themselves), so the eight dependent chains of loads
// overlap and there is no branch to mispredict.
func (f *Forest) pathSum(row []float32) float64 {
	nodes, roots, steps, leaf := f.nodes, f.roots, f.steps, f.leafPath
	var sum float64
	t := 0
	for ; t+8 <= len(roots); t += 8 {
		r := roots[t : t+8 : t+8]
		a, b, c, d := r[0], r[1], r[2], r[3]
		e, g, h, k := r[4], r[5], r[6], r[7]
		for range steps {
			a = step(nodes, row, a)
			b = step(nodes, row, b)
			c = step(nodes, row, c)
			d = step(nodes, row, d)
			e = step(nodes, row, e)
			g = step(nodes, row, g)
			h = step(nodes, row, h)
			k = step(nodes, row, k)
		}
		// Added one at a time, in tree order, as the key paths add them.
		sum += leaf[a]
		sum += leaf[b]
		sum += leaf[c]
		sum += leaf[d]
		sum += leaf[e]
		sum += leaf[g]
		sum += leaf[h]
		sum += leaf[k]
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
	// -1 when floatKey(x) < n.key, else 0: the sign of a 64-bit difference.
	lt := int32((int64(floatKey(row[n.feature])) - int64(n.key)) >> 63)
	return n.left + 1 + lt
}
