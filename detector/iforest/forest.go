package iforest

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// Defaults are scikit-learn's (n_estimators=100, max_samples=256), which the
// paper found enough for the path lengths to converge.
const (
	DefaultTrees      = 100
	DefaultMaxSamples = 256
)

// eulerGamma is the Euler–Mascheroni constant used in the harmonic-number
// approximation H(i) ≈ ln(i) + γ.
const eulerGamma = 0.5772156649015329

// Config controls Fit. Zero values take the defaults.
type Config struct {
	// Trees is the number of trees (default 100).
	Trees int
	// MaxSamples is the subsample size per tree (default 256), capped at the
	// number of rows.
	MaxSamples int
	// Seed makes the forest reproducible: the same rows and seed give the
	// same forest, whatever the goroutine scheduling.
	Seed uint64
}

// withDefaults validates cfg against n rows and fills in the defaults.
func (cfg Config) withDefaults(n int) (Config, error) {
	if cfg.Trees < 0 {
		return cfg, fmt.Errorf("iforest: Trees %d is negative", cfg.Trees)
	}
	if cfg.MaxSamples < 0 {
		return cfg, fmt.Errorf("iforest: MaxSamples %d is negative", cfg.MaxSamples)
	}
	if cfg.Trees > maxTrees {
		return cfg, fmt.Errorf("iforest: Trees %d exceeds the limit %d", cfg.Trees, maxTrees)
	}
	if n < 2 {
		return cfg, fmt.Errorf("iforest: need at least 2 rows to fit, got %d", n)
	}
	if cfg.Trees == 0 {
		cfg.Trees = DefaultTrees
	}
	if cfg.MaxSamples == 0 {
		cfg.MaxSamples = DefaultMaxSamples
	}
	if cfg.MaxSamples > n {
		cfg.MaxSamples = n
	}
	if cfg.MaxSamples < 2 {
		// c(1) = 0 would make every score 2^(-0/0).
		return cfg, errors.New("iforest: MaxSamples must be at least 2")
	}
	return cfg, nil
}

// Limits that keep a forest (and a decoded model file) to a sane size.
const (
	maxTrees      = 1 << 16
	maxMaxSamples = 1 << 24
	maxFeatures   = 1 << 24
)

// node is one tree node. Nodes of all trees share one slice; a node's
// children are always at left and left+1, after it. A leaf has feature 0,
// key 0 and left = its own index - 1, so a step from a leaf (no key is
// below 0) stays on the leaf: scoring walks every tree for the same number
// of steps without testing for leaves.
//
// The split is compared as integers, key(x) < node.key, rather than as
// floats: Go compiles a float comparison into a branch, which random splits
// mispredict half the time (measured: 7x slower), while the integer form
// compiles to a subtract and shift.
type node struct {
	key     uint32 // thresholdKey of the threshold
	feature int32
	left    int32 // global index of the left child; right is left+1
	size    int32 // training rows that reached the node
}

// floatKey maps a float32 to a uint32 with the same order: flip all bits of
// a negative value, only the sign bit of a positive one. -0 maps just below
// +0; a NaN maps above +Inf or below -Inf by its sign bit.
func floatKey(x float32) uint32 {
	b := math.Float32bits(x)
	return b ^ (uint32(int32(b)>>31) | 0x80000000)
}

// thresholdKey is the key k with x < t exactly when floatKey(x) < k, for
// every non-NaN x: floatKey(t), except that for t = ±0 it is floatKey(-0),
// so that -0, like +0, is not below zero.
func thresholdKey(t float32) uint32 {
	if t == 0 {
		return floatKey(float32(math.Copysign(0, -1)))
	}
	return floatKey(t)
}

// Forest is a fitted isolation forest. It is immutable after Fit or
// UnmarshalBinary and safe for concurrent use.
type Forest struct {
	nodes    []node
	thresh   []float32 // split thresholds as fitted, by node (0 for leaves)
	leafPath []float64 // depth + c(size) for leaves, 0 for internal nodes
	roots    []int32   // index of each tree's root in nodes
	steps    int       // depth of the deepest leaf: steps that reach every leaf

	maxSamples int
	features   int
	cMax       float64   // c(maxSamples), the score's normaliser
	cOf        []float64 // c(n) for every node size n, so explaining takes no logarithm
}

// NumFeatures is the row length the forest was fitted on.
func (f *Forest) NumFeatures() int { return f.features }

// Trees is the number of trees.
func (f *Forest) Trees() int { return len(f.roots) }

// MaxSamples is the subsample size each tree was grown on.
func (f *Forest) MaxSamples() int { return f.maxSamples }

// isLeaf reports whether node i loops to itself.
func (f *Forest) isLeaf(i int32) bool { return f.nodes[i].left+1 == i }

// avgPathLength is c(n), the average path length of an unsuccessful search
// in a binary search tree of n keys: the expected depth still to go below a
// node that holds n rows.
func avgPathLength(n int) float64 {
	switch {
	case n <= 1:
		return 0
	case n == 2:
		return 1
	}
	m := float64(n - 1)
	return 2*(math.Log(m)+eulerGamma) - 2*m/float64(n)
}

// heightLimit is ceil(log2(psi)), the depth at which the paper (and
// scikit-learn) stop growing: deeper nodes only separate ordinary rows.
func heightLimit(psi int) int {
	if psi <= 1 {
		return 0
	}
	return bits.Len(uint(psi - 1))
}

// leafNode builds the self-looping leaf at index i.
func leafNode(i int32, size int32) node {
	return node{key: 0, feature: 0, left: i - 1, size: size}
}
