package iforest

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

// small is a forest whose encoding is short enough to corrupt exhaustively.
func small(t testing.TB) (*Forest, []byte) {
	t.Helper()
	f := mustFit(t, gaussian(200, 4, 20), Config{Trees: 3, MaxSamples: 16, Seed: 1})
	b, err := f.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return f, b
}

func TestRoundTrip(t *testing.T) {
	f := mustFit(t, gaussian(3000, 8, 21), Config{Seed: 5})
	b, err := f.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var g Forest
	if err := g.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if g.Trees() != f.Trees() || g.MaxSamples() != f.MaxSamples() || g.NumFeatures() != f.NumFeatures() {
		t.Fatalf("shape changed: %d/%d/%d", g.Trees(), g.MaxSamples(), g.NumFeatures())
	}
	for _, r := range gaussian(500, 8, 22) {
		if a, b := f.Score(r), g.Score(r); a != b {
			t.Fatalf("score %v before, %v after the round trip", a, b)
		}
	}
	b2, _ := g.MarshalBinary()
	if !bytes.Equal(b, b2) {
		t.Error("re-encoding differs")
	}
}

func TestMarshalEmpty(t *testing.T) {
	if _, err := new(Forest).MarshalBinary(); err == nil {
		t.Error("empty forest marshalled")
	}
}

func TestUnmarshalTruncated(t *testing.T) {
	_, b := small(t)
	for n := range len(b) {
		var g Forest
		if err := g.UnmarshalBinary(b[:n]); err == nil {
			t.Fatalf("truncated to %d of %d bytes: no error", n, len(b))
		}
	}
	var g Forest
	if err := g.UnmarshalBinary(append(b, 0)); err == nil || !strings.Contains(err.Error(), "trailing") {
		t.Errorf("trailing byte: %v", err)
	}
}

// TestUnmarshalFlipped flips every bit of every byte, and sets each byte to
// 0x00 and 0xff: each result is an error or a forest that scores in (0, 1].
func TestUnmarshalFlipped(t *testing.T) {
	_, b := small(t)
	c := make([]byte, len(b))
	rows := gaussian(8, 4, 23)
	try := func() {
		var g Forest
		// A flipped feature count can be up to 1<<24: too wide to score cheaply.
		if g.UnmarshalBinary(c) != nil || g.NumFeatures() > 4096 {
			return
		}
		checkUsable(t, &g, rows)
	}
	for i := range b {
		for bit := range 8 {
			copy(c, b)
			c[i] ^= 1 << bit
			try()
		}
		for _, v := range []byte{0, 0xff} {
			copy(c, b)
			c[i] = v
			try()
		}
	}
}

// checkUsable scores rows of the right width with g, which must succeed.
func checkUsable(t testing.TB, g *Forest, rows [][]float32) {
	t.Helper()
	row := make([]float32, g.NumFeatures())
	contrib := make([]float64, g.NumFeatures())
	for _, r := range rows {
		copy(row, r)
		if s := g.Score(row); !(s > 0 && s <= 1) {
			t.Fatalf("decoded forest scores %v", s)
		}
		g.Contributions(row, contrib)
	}
}

func TestUnmarshalErrors(t *testing.T) {
	_, good := small(t)
	le := binary.LittleEndian
	nodesAt := headerSize + 4*3
	// Node 0 of tree 0 is the root; it splits, its children are at 1 and 2.
	if int32(le.Uint32(good[nodesAt:])) < 0 {
		t.Fatal("test forest's first root is a leaf")
	}
	field := func(node, off int) int { return nodesAt + node*nodeSize + off }
	for _, c := range []struct {
		name string
		edit func(b []byte)
		want string
	}{
		{"magic", func(b []byte) { b[0] = 'X' }, "bad magic"},
		{"version", func(b []byte) { le.PutUint16(b[4:], 2) }, "format version 2"},
		{"no trees", func(b []byte) { le.PutUint32(b[8:], 0) }, "tree count 0"},
		{"more trees", func(b []byte) { le.PutUint32(b[8:], 4) }, "truncated"},
		{"more nodes", func(b []byte) { le.PutUint32(b[20:], le.Uint32(b[20:])+1) }, "truncated"},
		{"fewer features", func(b []byte) { le.PutUint32(b[16:], 0) }, "feature count 0"},
		{"max samples", func(b []byte) { le.PutUint32(b[12:], 1) }, "max samples 1"},
		{"feature out of range", func(b []byte) { le.PutUint32(b[field(0, 0):], 4) }, "tree 0 node 0: feature 4 outside [0, 4)"},
		{"negative feature", func(b []byte) { le.PutUint32(b[field(0, 0):], math.MaxUint32-1) }, "feature -2"},
		{"nan threshold", func(b []byte) { le.PutUint32(b[field(0, 4):], 0x7fc00000) }, "threshold NaN is not finite"},
		{"inf threshold", func(b []byte) { le.PutUint32(b[field(0, 4):], 0x7f800000) }, "threshold +Inf is not finite"},
		{"child backwards", func(b []byte) { le.PutUint32(b[field(0, 8):], 0) }, "not after the node"},
		{"child out of range", func(b []byte) { le.PutUint32(b[field(0, 8):], 1000) }, "inside the tree"},
		{"root size", func(b []byte) { le.PutUint32(b[field(0, 12):], 15) }, "root size 15"},
		{"tree node count", func(b []byte) { le.PutUint32(b[headerSize:], 0) }, "tree 0 has 0 nodes"},
	} {
		b := bytes.Clone(good)
		c.edit(b)
		var g Forest
		err := g.UnmarshalBinary(b)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", c.name, err, c.want)
		}
	}
}

// TestUnmarshalKeepsOnError checks a failed decode leaves the forest intact.
func TestUnmarshalKeepsOnError(t *testing.T) {
	f, b := small(t)
	row := []float32{1, 2, 3, 4}
	before := f.Score(row)
	if err := f.UnmarshalBinary(b[:len(b)-1]); err == nil {
		t.Fatal("no error")
	}
	if f.Score(row) != before {
		t.Error("failed decode changed the forest")
	}
}

func FuzzUnmarshal(f *testing.F) {
	_, b := small(f)
	f.Add(b)
	for _, cfg := range []Config{{Trees: 1, MaxSamples: 2}, {Trees: 2, MaxSamples: 5, Seed: 3}, {Trees: 5, MaxSamples: 32}} {
		g := mustFit(f, gaussian(64, 3, 24), cfg)
		e, _ := g.MarshalBinary()
		f.Add(e)
	}
	rows := gaussian(4, 4, 25)
	f.Fuzz(func(t *testing.T, data []byte) {
		var g Forest
		if g.UnmarshalBinary(data) != nil {
			return
		}
		if g.NumFeatures() <= 4096 {
			checkUsable(t, &g, rows)
		}
		again, err := g.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, data) {
			t.Fatal("decoded forest re-encodes differently")
		}
	})
}
