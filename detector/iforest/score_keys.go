package iforest

import "unsafe"

// The fast scoring paths. A row is first converted to keys (floatKey of
// each value) in a stack buffer, so that a step is a node load, a key load
// and a subtract, with no float conversion. Eight walks run interleaved:
// eight trees for Score, eight rows through one tree for ScoreBatch. The
// walks use unchecked loads (a bounds check per load would cost a third of
// the time), which rely on the forest's invariants, established by Fit and
// checked by UnmarshalBinary: a node's children are inside nodes, a
// split's feature is below NumFeatures, and a leaf (feature 0, key 0) loops
// to itself; and on NumFeatures <= keyStride, which the callers check.

const (
	// keyStride is the widest row the key paths take (16 KB of keys for
	// a block of rows); wider forests use pathSum.
	keyStride = 512
	// blockRows is how many rows ScoreBatch walks through a tree at once.
	blockRows = 8
)

// toKeys writes floatKey(row[j]) to keys[j].
func toKeys(keys []uint32, row []float32) {
	keys = keys[:len(row)]
	for j, v := range row {
		keys[j] = floatKey(v)
	}
}

// pathSumKeys is pathSum for the row whose keys are in keys.
func (f *Forest) pathSumKeys(keys *[keyStride]uint32) float64 {
	nodes, roots, steps, leaf := unsafe.Pointer(unsafe.SliceData(f.nodes)), f.roots, f.steps, f.leafPath
	kp := unsafe.Pointer(keys)
	var sum float64
	t := 0
	for ; t+8 <= len(roots); t += 8 {
		a, b, c, d, e, g, h, k := walkTrees8(nodes, kp, (*[8]int32)(roots[t:t+8]), steps)
		// Added one at a time, in tree order, as ScoreBatch adds them.
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
		a := uint32(roots[t])
		for range steps {
			a = stepKey(nodes, kp, a)
		}
		sum += leaf[a]
	}
	return sum
}

// pathSumsKeys sets sums[r] to Σ over trees of h(row r) for the rows whose
// keys are in keys, adding in tree order as pathSumKeys does.
func (f *Forest) pathSumsKeys(keys *[blockRows][keyStride]uint32, sums *[blockRows]float64) {
	nodes, steps, leaf := unsafe.Pointer(unsafe.SliceData(f.nodes)), f.steps, f.leafPath
	kp := unsafe.Pointer(keys)
	*sums = [blockRows]float64{}
	for _, root := range f.roots {
		a, b, c, d, e, g, h, k := walkRows8(nodes, kp, uint32(root), steps)
		sums[0] += leaf[a]
		sums[1] += leaf[b]
		sums[2] += leaf[c]
		sums[3] += leaf[d]
		sums[4] += leaf[e]
		sums[5] += leaf[g]
		sums[6] += leaf[h]
		sums[7] += leaf[k]
	}
}

// stepKey is step for a row given as keys at kp.
func stepKey(nodes, kp unsafe.Pointer, i uint32) uint32 {
	n := (*node)(unsafe.Add(nodes, uintptr(i)*unsafe.Sizeof(node{})))
	x := *(*uint32)(unsafe.Add(kp, uintptr(uint32(n.feature))*4))
	// All ones when x < n.key, else 0: the sign of a 64-bit difference.
	lt := uint32((int64(x) - int64(n.key)) >> 63)
	return uint32(n.left) + 1 + lt
}

// walkTrees8 walks the trees at roots for the row at kp and returns the
// eight leaves. It is a function of its own so that the eight indices stay
// in registers (inlined into a bigger loop they are spilled).
//
//go:noinline
func walkTrees8(nodes, kp unsafe.Pointer, roots *[8]int32, steps int) (a, b, c, d, e, g, h, k uint32) {
	a, b, c, d = uint32(roots[0]), uint32(roots[1]), uint32(roots[2]), uint32(roots[3])
	e, g, h, k = uint32(roots[4]), uint32(roots[5]), uint32(roots[6]), uint32(roots[7])
	for range steps {
		a = stepKey(nodes, kp, a)
		b = stepKey(nodes, kp, b)
		c = stepKey(nodes, kp, c)
		d = stepKey(nodes, kp, d)
		e = stepKey(nodes, kp, e)
		g = stepKey(nodes, kp, g)
		h = stepKey(nodes, kp, h)
		k = stepKey(nodes, kp, k)
	}
	return
}

// walkRows8 walks the tree at root for the eight rows of keys at kp
// (keyStride keys apart) and returns their leaves.
//
//go:noinline
func walkRows8(nodes, kp unsafe.Pointer, root uint32, steps int) (a, b, c, d, e, g, h, k uint32) {
	const row = keyStride * 4 // bytes from one row's keys to the next
	a, b, c, d, e, g, h, k = root, root, root, root, root, root, root, root
	for range steps {
		a = stepKey(nodes, kp, a)
		b = stepKey(nodes, unsafe.Add(kp, row), b)
		c = stepKey(nodes, unsafe.Add(kp, 2*row), c)
		d = stepKey(nodes, unsafe.Add(kp, 3*row), d)
		e = stepKey(nodes, unsafe.Add(kp, 4*row), e)
		g = stepKey(nodes, unsafe.Add(kp, 5*row), g)
		h = stepKey(nodes, unsafe.Add(kp, 6*row), h)
		k = stepKey(nodes, unsafe.Add(kp, 7*row), k)
	}
	return
}
