package iforest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Encoding, all little-endian:
//
//	header  "IFST" | version u16 | flags u16 (0) | trees u32 | maxSamples u32 |
//	        features u32 | nodes u32                                  (24 bytes)
//	        node count of each tree, u32 × trees
//	nodes   feature i32 (-1 for a leaf) | threshold f32 bits |
//	        left child u32 (index within its tree; 0 for a leaf) |
//	        size u32 (training rows that reached the node)            (16 bytes each)
//
// Nodes are in tree order, each tree's root first, every node before its
// children, right child = left + 1. There is no checksum: the model file
// that holds this blob carries one.
const (
	magic         = "IFST"
	formatVersion = 1
	headerSize    = 24
	nodeSize      = 16
)

// MarshalBinary encodes the forest for the model file.
func (f *Forest) MarshalBinary() ([]byte, error) {
	if f == nil || len(f.roots) == 0 {
		return nil, errors.New("iforest: marshal of an empty forest")
	}
	buf := make([]byte, headerSize, headerSize+4*len(f.roots)+nodeSize*len(f.nodes))
	copy(buf, magic)
	le := binary.LittleEndian
	le.PutUint16(buf[4:], formatVersion)
	le.PutUint16(buf[6:], 0)
	le.PutUint32(buf[8:], uint32(len(f.roots)))
	le.PutUint32(buf[12:], uint32(f.maxSamples))
	le.PutUint32(buf[16:], uint32(f.features))
	le.PutUint32(buf[20:], uint32(len(f.nodes)))
	for t := range f.roots {
		buf = le.AppendUint32(buf, uint32(f.treeEnd(t)-f.roots[t]))
	}
	for t, root := range f.roots {
		for i := root; i < f.treeEnd(t); i++ {
			n := f.nodes[i]
			if f.isLeaf(i) {
				buf = le.AppendUint32(buf, math.MaxUint32) // feature -1
				buf = le.AppendUint32(buf, 0)
				buf = le.AppendUint32(buf, 0)
			} else {
				buf = le.AppendUint32(buf, uint32(n.feature))
				buf = le.AppendUint32(buf, math.Float32bits(f.thresh[i]))
				buf = le.AppendUint32(buf, uint32(n.left-root))
			}
			buf = le.AppendUint32(buf, uint32(n.size))
		}
	}
	return buf, nil
}

// treeEnd is one past the last node of tree t.
func (f *Forest) treeEnd(t int) int32 {
	if t+1 < len(f.roots) {
		return f.roots[t+1]
	}
	return int32(len(f.nodes))
}

// UnmarshalBinary decodes a forest written by MarshalBinary. It checks
// everything scoring relies on: sizes against the data length (before any
// allocation), magic and version, feature indices, finite thresholds,
// children inside their tree and after their parent, every node reached
// exactly once, sizes that add up, and depth within the height limit. Bad
// data gives an error that names the tree and node, never a panic; on error
// f is left unchanged.
func (f *Forest) UnmarshalBinary(data []byte) error {
	le := binary.LittleEndian
	if len(data) < headerSize {
		return fmt.Errorf("iforest: truncated header: %d bytes, need %d", len(data), headerSize)
	}
	if string(data[:4]) != magic {
		return fmt.Errorf("iforest: bad magic %q, want %q", data[:4], magic)
	}
	if v := le.Uint16(data[4:]); v != formatVersion {
		return fmt.Errorf("iforest: format version %d, this build reads %d", v, formatVersion)
	}
	if fl := le.Uint16(data[6:]); fl != 0 {
		return fmt.Errorf("iforest: unknown flags %#x", fl)
	}
	trees := uint64(le.Uint32(data[8:]))
	psi := uint64(le.Uint32(data[12:]))
	features := uint64(le.Uint32(data[16:]))
	total := uint64(le.Uint32(data[20:]))
	switch {
	case trees < 1 || trees > maxTrees:
		return fmt.Errorf("iforest: tree count %d outside [1, %d]", trees, maxTrees)
	case psi < 2 || psi > maxMaxSamples:
		return fmt.Errorf("iforest: max samples %d outside [2, %d]", psi, maxMaxSamples)
	case features < 1 || features > maxFeatures:
		return fmt.Errorf("iforest: feature count %d outside [1, %d]", features, maxFeatures)
	case total < trees:
		return fmt.Errorf("iforest: %d nodes for %d trees", total, trees)
	}
	want := headerSize + 4*trees + nodeSize*total
	if uint64(len(data)) < want {
		return fmt.Errorf("iforest: truncated: %d bytes, header says %d", len(data), want)
	}
	if uint64(len(data)) > want {
		return fmt.Errorf("iforest: %d trailing bytes after the forest", uint64(len(data))-want)
	}

	maxNodes := uint64(2*psi - 1)
	var sum uint64
	for t := range trees {
		n := uint64(le.Uint32(data[headerSize+4*t:]))
		if n < 1 || n > maxNodes {
			return fmt.Errorf("iforest: tree %d has %d nodes, want 1 to %d", t, n, maxNodes)
		}
		sum += n
	}
	if sum != total {
		return fmt.Errorf("iforest: tree node counts add to %d, header says %d", sum, total)
	}

	g := Forest{
		nodes:      make([]node, total),
		thresh:     make([]float32, total),
		roots:      make([]int32, trees),
		maxSamples: int(psi),
		features:   int(features),
	}
	limit := int32(heightLimit(int(psi)))
	var (
		seen  []bool
		depth []int32
	)
	p := data[headerSize+4*trees:]
	off := 0
	for t := range int(trees) {
		n := int(le.Uint32(data[headerSize+4*t:]))
		g.roots[t] = int32(off)
		tree := g.nodes[off : off+n]
		seen = append(seen[:0], make([]bool, n)...)
		depth = append(depth[:0], make([]int32, n)...)
		for i := range n {
			rec := p[(off+i)*nodeSize:]
			feat := int32(le.Uint32(rec))
			thrBits := le.Uint32(rec[4:])
			left := le.Uint32(rec[8:])
			size := le.Uint32(rec[12:])
			at := func(format string, a ...any) error { return nodeErr(t, i, format, a...) }
			if i == 0 && uint64(size) != psi {
				return at("root size %d, want max samples %d", size, psi)
			}
			if i > 0 && !seen[i] {
				return at("no parent reaches it")
			}
			if size < 1 || uint64(size) > psi {
				return at("size %d outside [1, %d]", size, psi)
			}
			if feat == -1 {
				if thrBits != 0 || left != 0 {
					return at("leaf with threshold or child set")
				}
				tree[i] = leafNode(int32(off+i), int32(size))
				continue
			}
			if feat < 0 || uint64(feat) >= features {
				return at("feature %d outside [0, %d)", feat, features)
			}
			thr := math.Float32frombits(thrBits)
			if math.IsNaN(float64(thr)) || math.IsInf(float64(thr), 0) {
				return at("threshold %v is not finite", thr)
			}
			if uint64(left) <= uint64(i) || uint64(left)+1 >= uint64(n) {
				return at("children %d,%d not after the node and inside the tree of %d nodes", left, uint64(left)+1, n)
			}
			if depth[i] >= limit {
				return at("split at depth %d, height limit is %d", depth[i], limit)
			}
			l, r := p[(off+int(left))*nodeSize:], p[(off+int(left)+1)*nodeSize:]
			ls, rs := uint64(le.Uint32(l[12:])), uint64(le.Uint32(r[12:]))
			if ls+rs != uint64(size) {
				return at("children sizes %d+%d, node size %d", ls, rs, size)
			}
			if seen[left] || seen[left+1] {
				return at("child %d or %d already has a parent", left, left+1)
			}
			seen[left], seen[left+1] = true, true
			depth[left] = depth[i] + 1
			depth[left+1] = depth[i] + 1
			tree[i] = node{key: thresholdKey(thr), feature: feat, left: int32(off) + int32(left), size: int32(size)}
			g.thresh[off+i] = thr
		}
		off += n
	}
	g.finish()
	*f = g
	return nil
}

func nodeErr(t, i int, format string, a ...any) error {
	return fmt.Errorf("iforest: tree %d node %d: %s", t, i, fmt.Sprintf(format, a...))
}
