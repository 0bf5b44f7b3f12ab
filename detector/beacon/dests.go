package beacon

// dest counts the distinct clients of one destination (prevalence).
type dest struct {
	hash    uint64
	last    int64 // latest connection start
	clients clientSet
}

// destTable holds the destinations, bounded like the pairs.
type destTable struct {
	max   int
	idx   index
	dests []dest
	rng   rng
}

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
		if s := int32(c&slotMask) - 1; c&^slotMask == t && dt.dests[s].hash == h {
			dt.dests[s].last = max(dt.dests[s].last, ts)
			return s, false
		}
	}
	if len(dt.dests) < dt.max {
		if len(dt.dests) == cap(dt.dests) {
			n := min(dt.max, max(256, 2*cap(dt.dests)))
			ds := make([]dest, len(dt.dests), n)
			copy(ds, dt.dests)
			dt.dests = ds
		}
		slot = int32(len(dt.dests))
		dt.dests = dt.dests[:slot+1]
	} else {
		slot = dt.victim(stale)
		dt.idx.remove(dt.dests[slot].hash, slot)
		evicted = true
	}
	dt.dests[slot] = dest{hash: h, last: ts}
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
		s := int32(dt.rng.next() % uint64(len(dt.dests)))
		d := &dt.dests[s]
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
