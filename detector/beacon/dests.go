package beacon

// dest counts the distinct clients of one destination (prevalence).
type dest struct {
	hash    uint64
	last    int64 // latest connection start
	clients clientSet
}

// destTable holds the destinations, bounded like the pairs. Like the
// pairs' it grows in chunks: growing by copying would move every
// destination (a memmove and a discarded table each time it doubles, which
// the heap and the page faults pay for).
type destTable struct {
	max    int
	idx    index
	chunks [][]dest
	n      int32 // slots in use
	rng    rng
}

// destChunk is how many destinations a chunk holds.
const destChunk = pairChunk

// at is slot s.
func (dt *destTable) at(s int32) *dest {
	return &dt.chunks[s>>pairChunkBits][s&(destChunk-1)]
}

// len is how many slots are in use.
func (dt *destTable) len() int { return int(dt.n) }

func newDestTable(cfg *Config) destTable {
	return destTable{max: cfg.MaxDestinations, idx: newIndex(cfg.MaxDestinations), rng: rng(cfg.Seed*3 | 1)}
}

// touch returns destination h's slot, making one when it is new (evicted
// is true when that took another's place).
func (dt *destTable) touch(h uint64, ts, stale int64) (slot int32, evicted bool) {
	x := &dt.idx
	t := tag(h)
	for i := x.home(h); x.cells[i] != 0; i = (i + 1) & x.mask {
		c := x.cells[i]
		if s := int32(c&slotMask) - 1; c&^slotMask == t && dt.at(s).hash == h {
			d := dt.at(s)
			d.last = max(d.last, ts)
			return s, false
		}
	}
	if dt.len() < dt.max {
		slot = dt.n
		if slot&(destChunk-1) == 0 {
			dt.chunks = append(dt.chunks, make([]dest, destChunk))
		}
		dt.n++
	} else {
		slot = dt.victim(stale)
		dt.idx.remove(dt.at(slot).hash, slot)
		evicted = true
	}
	*dt.at(slot) = dest{hash: h, last: ts}
	dt.idx.insert(h, slot)
	return slot, evicted
}

// victim picks, among a few sampled destinations: one silent for a whole
// window, then the one with the fewest clients (popular destinations, the
// ones prevalence is for, stay), then the least recently seen.
func (dt *destTable) victim(stale int64) int32 {
	best := int32(-1)
	var bestStale bool
	var bestN uint8
	var bestLast int64
	for range evictionSample {
		s := int32(dt.rng.next() % uint64(dt.len()))
		d := dt.at(s)
		isStale := d.last < stale
		n := max(d.clients.nc, d.clients.np)
		switch {
		case best < 0,
			isStale && !bestStale,
			isStale == bestStale && (n < bestN || n == bestN && d.last < bestLast):
			best, bestStale, bestN, bestLast = s, isStale, n, d.last
		}
	}
	return best
}
