package scan

import (
	"hash/maphash"
	"math"
	"net/netip"
	"slices"
	"sync"
	"time"
)

const (
	// inlineStacks is how many refused stacks a pair keeps in place; a
	// scan's pair keeps the rest in Tracker.more.
	inlineStacks = 8
	// maxStacks bounds the stacks a pair remembers (the count goes on
	// as "at least").
	maxStacks = 64

	// BenignScans of BenignPairs client-server pairs with a hello in the
	// public benign captures (the shared captures, each on its own:
	// sensor/pipeline's TestScanBaselineOnSharedCaptures counts them)
	// have more than BenignMostRefused refused stacks in a window: a
	// scan at any MinStacks Config allows.
	BenignScans = 0
	BenignPairs = 461
)

// Bits is what a scan's flow weighs: -log2 of the smoothed rate of scans
// among the public benign captures' pairs, (BenignScans + 1/2) /
// (BenignPairs + 1), as the evidence checks count theirs.
func Bits() float64 {
	return -math.Log2((BenignScans + 0.5) / float64(BenignPairs+1))
}

// Finding says that a hello is one of a scan's.
type Finding struct {
	Stacks int           // distinct stacks the server refused in the window so far (at least, from maxStacks)
	Hellos int           // hellos of the pair in the window
	Span   time.Duration // from the window's first hello to this one
}

type pairKey struct {
	client netip.Addr
	server netip.AddrPort
}

// pair is one client-server pair's current window, without pointers (the
// collector has nothing to look at in the table). The first inlineStacks
// distinct refused stacks are kept in place; most pairs never have one,
// and only a scan's pair has more (Tracker.more).
type pair struct {
	key    uint64 // the pair's hash, its key in Tracker.index
	start  int64  // the window's first hello, Unix nanoseconds
	hellos int32
	n      int32 // distinct refused stacks so far
	first  [inlineStacks]uint32
}

// Tracker follows the pairs. Safe for concurrent use.
type Tracker struct {
	mu    sync.Mutex
	index map[uint64]int32    // pair hash: its place in pairs
	pairs []pair              // in the order they came, a ring once full
	more  map[uint64][]uint32 // a scan's stacks beyond inlineStacks, by pair hash
	next  int                 // the oldest pair's place, once full
	max   int
	min   int32 // Config.MinStacks
	win   int64 // Config.Window, nanoseconds
	seed  maphash.Seed
}

// New returns a tracker of cfg (checked by Config.Validate). When full,
// a new pair takes the place of the one that came first: a flood of
// addresses cannot grow the memory, and the same flows give the same
// findings on every run.
func New(cfg Config) (*Tracker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	// The index and the pairs are made at their full size: growing would
	// rehash and copy every pair again and again as a busy network fills
	// them (the pairs' pages are only touched as pairs come).
	return &Tracker{
		index: make(map[uint64]int32, cfg.MaxPairs),
		pairs: make([]pair, 0, cfg.MaxPairs),
		more:  map[uint64][]uint32{},
		max:   cfg.MaxPairs,
		min:   int32(cfg.MinStacks),
		win:   int64(cfg.Window),
		seed:  maphash.MakeSeed(),
	}, nil
}

// Len is how many pairs the tracker follows.
func (t *Tracker) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.index)
}

// Observe counts a hello of stack (its JA4) from client to server at
// (packet time), which the server refused or not (Refused), and says
// whether it is one of a scan's: from the MinStacks-th distinct refused
// stack on (Config), every hello of the pair in the window is. Hellos
// may come a little out of order (flows are handed out when they end):
// one before its window's start counts in it. Pairs and stacks are told apart by
// their hashes (64 and 32 bits: a pair's few dozen stacks collide once
// in about a hundred million scans).
func (t *Tracker) Observe(client netip.Addr, server netip.AddrPort, at time.Time, stack string, refused bool) (Finding, bool) {
	k := maphash.Comparable(t.seed, pairKey{client, server})
	h := uint32(maphash.String(t.seed, stack))
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.pair(k, at)
	if at.UnixNano()-p.start > t.win {
		p.start, p.hellos, p.n = at.UnixNano(), 0, 0
		delete(t.more, k)
	}
	p.hellos++
	if refused && p.n < maxStacks && !t.has(p, h) {
		t.add(p, h)
	}
	if p.n < t.min {
		return Finding{}, false
	}
	return Finding{Stacks: int(p.n), Hellos: int(p.hellos), Span: max(time.Duration(at.UnixNano()-p.start), 0)}, true
}

func (t *Tracker) has(p *pair, h uint32) bool {
	return slices.Contains(p.first[:min(p.n, inlineStacks)], h) || p.n > inlineStacks && slices.Contains(t.more[p.key], h)
}

func (t *Tracker) add(p *pair, h uint32) {
	if p.n < inlineStacks {
		p.first[p.n] = h
	} else {
		t.more[p.key] = append(t.more[p.key], h)
	}
	p.n++
}

// pair is the pair of hash k, made (its window starting at) when new.
func (t *Tracker) pair(k uint64, at time.Time) *pair {
	if i, ok := t.index[k]; ok {
		return &t.pairs[i]
	}
	i := len(t.pairs)
	if i < t.max {
		t.pairs = append(t.pairs, pair{})
	} else {
		i = t.next
		delete(t.index, t.pairs[i].key)
		delete(t.more, t.pairs[i].key)
		t.next = (t.next + 1) % t.max
	}
	t.pairs[i] = pair{key: k, start: at.UnixNano()}
	t.index[k] = int32(i)
	return &t.pairs[i]
}

// Stacks is how many distinct refused stacks the pair's current window
// holds (0 for a pair not followed).
func (t *Tracker) Stacks(client netip.Addr, server netip.AddrPort) int {
	k := maphash.Comparable(t.seed, pairKey{client, server})
	t.mu.Lock()
	defer t.mu.Unlock()
	if i, ok := t.index[k]; ok {
		return int(t.pairs[i].n)
	}
	return 0
}
