package iforest

import "unsafe"

// contributionsKeys is contributionsLockstep for a row given as keys (the
// scoring paths' form, score_keys.go): eight trees are walked together
// for f.steps branch-free steps each (a leaf loops to itself), recording
// the nodes passed, and then each tree's credits are added in path order,
// tree after tree: the same additions in the same order as a walk of one
// tree at a time, hence the same bits. It needs f.steps <= maxLockstep
// and NumFeatures() <= keyStride.
func (f *Forest) contributionsKeys(keys *[keyStride]uint32, out []float64) {
	nodes, roots, steps := unsafe.Pointer(unsafe.SliceData(f.nodes)), f.roots, f.steps
	kp := unsafe.Pointer(keys)
	var paths [8][maxLockstep + 1]uint32
	t := 0
	for ; t+8 <= len(roots); t += 8 {
		walkPaths8(nodes, kp, (*[8]int32)(roots[t:t+8]), steps, &paths)
		for j := range paths {
			f.credit(paths[j][:steps+1], out)
		}
	}
	for ; t < len(roots); t++ {
		p := &paths[0]
		p[0] = uint32(roots[t])
		for s := range steps {
			p[s+1] = stepKey(nodes, kp, p[s])
		}
		f.credit(p[:steps+1], out)
	}
}

// credit adds the credits of the splits along path (the nodes a walk
// passed, a leaf repeating to its end) to out, as contributionsLockstep
// computes them.
func (f *Forest) credit(path []uint32, out []float64) {
	for s := 0; s+1 < len(path); s++ {
		i := int32(path[s])
		if f.isLeaf(i) {
			return
		}
		n := &f.nodes[i]
		out[n.feature] += f.cOf[n.size] - 1 - f.cOf[f.nodes[path[s+1]].size]
	}
}

// walkPaths8 walks the eight trees at roots for the row at kp for steps
// steps, writing the node each walk is at before each step and after the
// last to paths.
//
//go:noinline
func walkPaths8(nodes, kp unsafe.Pointer, roots *[8]int32, steps int, paths *[8][maxLockstep + 1]uint32) {
	a, b, c, d := uint32(roots[0]), uint32(roots[1]), uint32(roots[2]), uint32(roots[3])
	e, g, h, k := uint32(roots[4]), uint32(roots[5]), uint32(roots[6]), uint32(roots[7])
	for s := range steps {
		paths[0][s], paths[1][s], paths[2][s], paths[3][s] = a, b, c, d
		paths[4][s], paths[5][s], paths[6][s], paths[7][s] = e, g, h, k
		a = stepKey(nodes, kp, a)
		b = stepKey(nodes, kp, b)
		c = stepKey(nodes, kp, c)
		d = stepKey(nodes, kp, d)
		e = stepKey(nodes, kp, e)
		g = stepKey(nodes, kp, g)
		h = stepKey(nodes, kp, h)
		k = stepKey(nodes, kp, k)
	}
	paths[0][steps], paths[1][steps], paths[2][steps], paths[3][steps] = a, b, c, d
	paths[4][steps], paths[5][steps], paths[6][steps], paths[7][steps] = e, g, h, k
}
