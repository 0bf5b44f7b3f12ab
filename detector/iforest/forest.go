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
// threshold -Inf and left = its own index - 1, so a step from a leaf
// (x < -Inf is false for every x, NaN included) stays on the leaf: scoring
// walks every tree for the same number of steps without testing for leaves.
type node struct {
	threshold float32
	feature   int32
	left      int32 // global index of the left child; right is left+1
	size      int32 // training rows that reached the node
}

// Forest is a fitted isolation forest. It is immutable after Fit or
// UnmarshalBinary and safe for concurrent use.
type Forest struct {
	nodes    []node
	leafPath []float64 // depth + c(size) for leaves, 0 for internal nodes
	roots    []int32   // index of each tree's root in nodes
	steps    int       // depth of the deepest leaf: steps that reach every leaf

	maxSamples int
	features   int
	cMax       float64 // c(maxSamples), the score's normaliser
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

// leafNode builds the self-looping leaf at global index i.
func leafNode(i int32, size int32) node {
	return node{threshold: float32(math.Inf(-1)), feature: 0, left: i - 1, size: size}
}
