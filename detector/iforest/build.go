package iforest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// Fit grows a forest on rows. All rows must have the same, non-zero length
// and hold only finite values: a NaN or Inf would silently bias every split
// it takes part in, so it is refused with the row and column named.
//
// Trees are grown in parallel, each from its own PCG stream seeded by
// cfg.Seed and the tree index, and assembled in tree order, so the result
// depends only on rows and cfg.
func Fit(rows [][]float32, cfg Config) (*Forest, error) {
	cfg, err := cfg.withDefaults(len(rows))
	if err != nil {
		return nil, err
	}
	d := len(rows[0])
	if d == 0 {
		return nil, fmt.Errorf("iforest: rows have no features")
	}
	if d > maxFeatures {
		return nil, fmt.Errorf("iforest: %d features exceed the limit %d", d, maxFeatures)
	}
	if cfg.MaxSamples > maxMaxSamples {
		return nil, fmt.Errorf("iforest: MaxSamples %d exceeds the limit %d", cfg.MaxSamples, maxMaxSamples)
	}
	for i, r := range rows {
		if len(r) != d {
			return nil, fmt.Errorf("iforest: row %d has %d columns, row 0 has %d", i, len(r), d)
		}
		for j, v := range r {
			if math.IsNaN(float64(v)) {
				return nil, fmt.Errorf("iforest: row %d column %d is NaN", i, j)
			}
			if math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("iforest: row %d column %d is %v", i, j, v)
			}
		}
	}

	trees := make([][]node, cfg.Trees)
	thresh := make([][]float32, cfg.Trees)
	workers := min(runtime.GOMAXPROCS(0), cfg.Trees)
	next := make(chan int, cfg.Trees)
	for t := range cfg.Trees {
		next <- t
	}
	close(next)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			b := newBuilder(rows, cfg.MaxSamples)
			for t := range next {
				trees[t], thresh[t] = b.grow(cfg.Seed, t)
			}
		})
	}
	wg.Wait()

	f := &Forest{maxSamples: cfg.MaxSamples, features: d}
	total := 0
	for _, t := range trees {
		total += len(t)
	}
	f.nodes = make([]node, 0, total)
	f.thresh = make([]float32, 0, total)
	f.roots = make([]int32, 0, len(trees))
	for t, tree := range trees {
		off := int32(len(f.nodes))
		f.roots = append(f.roots, off)
		for _, n := range tree {
			n.left += off
			f.nodes = append(f.nodes, n)
		}
		f.thresh = append(f.thresh, thresh[t]...)
	}
	f.finish()
	return f, nil
}

// finish derives the scoring tables from nodes and roots, which must already
// be valid: each leaf's path length, and the number of steps that reach the
// deepest leaf.
func (f *Forest) finish() {
	f.cMax = avgPathLength(f.maxSamples)
	// Node sizes lie in [1, maxSamples] (Fit, UnmarshalBinary).
	f.cOf = make([]float64, f.maxSamples+1)
	for n := range f.cOf {
		f.cOf[n] = avgPathLength(n)
	}
	f.leafPath = make([]float64, len(f.nodes))
	depth := make([]int32, len(f.nodes))
	f.steps = 0
	for i := range f.nodes {
		n := &f.nodes[i]
		if f.isLeaf(int32(i)) {
			f.leafPath[i] = float64(depth[i]) + avgPathLength(int(n.size))
			f.steps = max(f.steps, int(depth[i]))
			continue
		}
		// Children come after their parent, so depth[i] is final here.
		depth[n.left] = depth[i] + 1
		depth[n.left+1] = depth[i] + 1
	}
}

// builder holds one worker's scratch space, reused across its trees.
type builder struct {
	rows  [][]float32
	psi   int
	limit int
	idx   []int32
	cand  []int32
	seen  map[int32]struct{}
	rng   *rand.Rand
	pcg   *rand.PCG
	nodes []node
	thr   []float32
}

func newBuilder(rows [][]float32, psi int) *builder {
	pcg := rand.NewPCG(0, 0)
	return &builder{
		rows:  rows,
		psi:   psi,
		limit: heightLimit(psi),
		idx:   make([]int32, 0, psi),
		cand:  make([]int32, len(rows[0])),
		seen:  make(map[int32]struct{}, psi),
		pcg:   pcg,
		rng:   rand.New(pcg),
	}
}

// treeStream turns a tree index into the second PCG seed word (splitmix64),
// so neighbouring trees get unrelated streams.
func treeStream(t int) uint64 {
	z := uint64(t) + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// grow builds tree t: its nodes, with tree-local indices, and thresholds.
func (b *builder) grow(seed uint64, t int) ([]node, []float32) {
	b.pcg.Seed(seed, treeStream(t))
	b.sample()
	b.nodes = make([]node, 1, 2*b.psi-1)
	b.thr = make([]float32, 1, 2*b.psi-1)
	b.fill(0, b.idx, 0)
	return b.nodes, b.thr
}

// sample draws psi distinct row indices with Floyd's algorithm: O(psi)
// whatever the number of rows, and deterministic in the order it emits.
func (b *builder) sample() {
	n := len(b.rows)
	b.idx = b.idx[:0]
	clear(b.seen)
	if b.psi == n {
		for i := range n {
			b.idx = append(b.idx, int32(i))
		}
		return
	}
	for j := n - b.psi; j < n; j++ {
		v := int32(b.rng.IntN(j + 1))
		if _, dup := b.seen[v]; dup {
			v = int32(j)
		}
		b.seen[v] = struct{}{}
		b.idx = append(b.idx, v)
	}
}

// fill makes local node at a node for the rows idx at the given depth,
// splitting it (and recursing) unless it is at the height limit, holds one
// row, or has no feature that varies.
func (b *builder) fill(at int32, idx []int32, depth int) {
	b.nodes[at] = leafNode(at, int32(len(idx)))
	if depth >= b.limit || len(idx) <= 1 {
		return
	}
	feat, lo, hi, ok := b.pickFeature(idx)
	if !ok {
		return
	}
	thr := b.splitValue(lo, hi)
	// Partition: rows with x < thr first.
	k := 0
	for i, r := range idx {
		if b.rows[r][feat] < thr {
			idx[i], idx[k] = idx[k], idx[i]
			k++
		}
	}
	left := int32(len(b.nodes))
	b.nodes = append(b.nodes, node{}, node{})
	b.thr = append(b.thr, 0, 0)
	b.nodes[at] = node{key: thresholdKey(thr), feature: feat, left: left, size: int32(len(idx))}
	b.thr[at] = thr
	b.fill(left, idx[:k], depth+1)
	b.fill(left+1, idx[k:], depth+1)
}

// pickFeature draws features uniformly without replacement until one is not
// constant over idx, which is the same as a uniform draw among the
// non-constant features but usually looks at only one.
func (b *builder) pickFeature(idx []int32) (feat int32, lo, hi float32, ok bool) {
	for j := range b.cand {
		b.cand[j] = int32(j)
	}
	for left := len(b.cand); left > 0; left-- {
		k := b.rng.IntN(left)
		feat = b.cand[k]
		lo, hi = b.rows[idx[0]][feat], b.rows[idx[0]][feat]
		for _, r := range idx[1:] {
			v := b.rows[r][feat]
			lo = min(lo, v)
			hi = max(hi, v)
		}
		if hi > lo {
			return feat, lo, hi, true
		}
		b.cand[k] = b.cand[left-1]
	}
	return 0, 0, 0, false
}

// splitValue draws a threshold uniformly in (lo, hi], rounded to float32 so
// that lo < thr <= hi: rows equal to lo go left, rows equal to hi go right,
// and neither child is ever empty.
func (b *builder) splitValue(lo, hi float32) float32 {
	u := b.rng.Float64()
	thr := float32(float64(lo) + u*(float64(hi)-float64(lo)))
	if thr <= lo {
		thr = math.Nextafter32(lo, hi)
	}
	return min(thr, hi)
}
