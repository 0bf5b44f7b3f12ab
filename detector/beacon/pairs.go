package beacon

import (
	"net/netip"
	"strings"
)

// lastIDs is how many flow ids of a pair's latest connections a finding
// carries.
const lastIDs = 8

// Bounds on the names a pair keeps (a hostile SNI may be long); longer
// names are keyed and kept by their first bytes.
const (
	maxSNILen = 255
	maxJA4Len = 64
)

// evictionSample is how many pairs (or destinations) are looked at to
// choose one to evict.
const evictionSample = 8

// entry is one connection in a pair's ring.
type entry struct {
	t        int64  // connection start, Unix nanoseconds
	id       uint64 // flow id
	up, down uint32 // bytes to the server and to the client, saturated
}

// pair is one tracked (client, destination) and its recent connections.
// Its 192 bytes are three cache lines (the table is a large allocation,
// page-aligned): the identity every lookup reads, the ring and counters
// every event updates, and what only new pairs, scorings and findings
// touch.
type pair struct {
	hash   uint64
	client netip.Addr
	server netip.AddrPort // the latest connection's, where it is not the key

	head, n   int32 // ring: index of the oldest entry, entries held
	sinceEval int32 // connections since the last scoring
	evalGap   int32 // connections to wait between scorings; 0: not scored yet in this run
	destEpoch int64 // window in which this pair last counted its client at the destination; -1 never
	count     int64 // connections since first
	first     int64 // first connection start of this run of activity
	last      int64 // latest connection start
	destSlot  int32
	reportSeq int32
	bySNI     bool // KeySNI and the SNI was not empty: the SNI is the key

	sni, ja4  string // the key's, or the latest scored connection's
	dest      uint64 // destination hash
	reportAt  int64  // start of the current finding's window; 0: none
	reportN   int64  // count at the last finding or update
	beatAt    int64  // period of the latest scoring at or above the threshold (ns); 0: the latest was below
	beatScore float32
	ringID    int32 // the pair's ring in the store, of size class ringClass
	ringClass uint8
}

// pairTable holds the pairs, their rings and the index over them. Slots
// grow with use up to the bound, then are reused. The pairs are kept in
// chunks of pairChunk, added as slots are: memory follows use, and a
// growing table never copies the pairs it has (copies that, with the
// pairs' strings, took write barriers while a GC ran).
type pairTable struct {
	cfg    *Config
	idx    index
	chunks [][]pair
	n      int32     // slots in use
	rings  ringStore // each slot's ring, from a few entries up to RingLen
	rng    rng
}

// pairChunk is how many pairs a chunk holds (a power of two).
const (
	pairChunkBits = 8
	pairChunk     = 1 << pairChunkBits
)

// at is slot s's pair.
func (pt *pairTable) at(s int32) *pair { return &pt.chunks[s>>pairChunkBits][s&(pairChunk-1)] }

// len is how many slots are in use.
func (pt *pairTable) len() int { return int(pt.n) }

func newPairTable(cfg *Config) pairTable {
	return pairTable{cfg: cfg, idx: newIndex(cfg.MaxPairs), rings: newRingStore(cfg.RingLen), rng: rng(cfg.Seed | 1)}
}

// keyOf returns the pair hash and the destination hash of ev.
func (pt *pairTable) keyOf(ev *Event, sni, ja4 string) (pairHash, destHash uint64, bySNI bool) {
	seed := pt.cfg.Seed
	if pt.cfg.Key == KeySNI && sni != "" {
		destHash, bySNI = hashString(seed^0x5a5a, sni), true
	} else {
		destHash = hashAddrPort(seed, ev.Server)
	}
	pairHash = hashAddr(destHash, ev.Client)
	if pt.cfg.Key == KeyJA4Server {
		pairHash = hashString(pairHash, ja4)
	}
	return pairHash, destHash, bySNI
}

// find returns the slot of the pair ev belongs to, or -1.
func (pt *pairTable) find(h uint64, ev *Event, sni, ja4 string, bySNI bool) int32 {
	x := &pt.idx
	t := tag(h)
	for i := x.home(h); x.cells[i] != 0; i = (i + 1) & x.mask {
		c := x.cells[i]
		if c&^slotMask != t {
			continue
		}
		s := int32(c&slotMask) - 1
		p := pt.at(s)
		if p.hash != h {
			continue
		}
		if p.client != ev.Client || p.bySNI != bySNI {
			continue
		}
		if bySNI {
			if p.sni != sni {
				continue
			}
		} else if p.server != ev.Server {
			continue
		}
		if pt.cfg.Key == KeyJA4Server && p.ja4 != ja4 {
			continue
		}
		return s
	}
	return -1
}

// alloc returns a fresh slot for a new pair with hash h, evicting the
// lightest of a few sampled pairs when the table is full (evicted is
// then true).
func (pt *pairTable) alloc(h uint64, clock int64) (slot int32, evicted bool) {
	if pt.len() < pt.cfg.MaxPairs {
		slot = pt.n
		if slot&(pairChunk-1) == 0 {
			pt.chunks = append(pt.chunks, make([]pair, pairChunk))
		}
		pt.n++
		*pt.at(slot) = pair{hash: h, ringID: pt.rings.get(0)}
	} else {
		slot = pt.victim(clock)
		p := pt.at(slot)
		pt.idx.remove(p.hash, slot)
		evicted = true
		*p = pair{hash: h, ringID: p.ringID, ringClass: p.ringClass} // the ring stays with the slot
	}
	pt.idx.insert(h, slot)
	return slot, evicted
}

// victim samples evictionSample slots and picks, in order: a pair silent
// for a whole window, the pair with the fewest connections in its ring
// (the heavy hitters, beacons among them, stay), the least recently seen.
// A scan of distinct pairs thus evicts pairs of one connection, most
// often its own.
func (pt *pairTable) victim(clock int64) int32 {
	stale := clock - int64(pt.cfg.Window)
	best := int32(-1)
	var bestStale bool
	var bestN int32
	var bestLast int64
	for range evictionSample {
		s := int32(pt.rng.next() % uint64(pt.len()))
		p := pt.at(s)
		isStale := p.last < stale
		switch {
		case best < 0,
			isStale && !bestStale,
			isStale == bestStale && (p.n < bestN || p.n == bestN && p.last < bestLast):
			best, bestStale, bestN, bestLast = s, isStale, p.n, p.last
		}
	}
	return best
}

// ringOf is slot s's ring storage (its length is the ring's size).
func (pt *pairTable) ringOf(s int32) []entry {
	p := pt.at(s)
	return pt.rings.ring(p.ringClass, p.ringID)
}

// record adds a connection to pair p (slot s): it drops entries that left
// the window, keeps the ring in start-time order (flows end, so arrive,
// out of start order), and reports false when the connection is older than
// the window or than everything a full ring holds (it is not kept).
func (pt *pairTable) record(s int32, ts int64, id uint64, up, down uint32) bool {
	p := pt.at(s)
	ring := pt.ringOf(s)
	r := int32(len(ring))
	window := int64(pt.cfg.Window)
	if p.n > 0 && ts-p.last > window {
		// Silent for a whole window: a new run of activity.
		p.n, p.head, p.count, p.first, p.sinceEval, p.evalGap = 0, 0, 0, ts, 0, 0
	}
	if p.n > 0 && ts < p.last-window {
		return false // older than the window: counted late, not kept
	}
	if p.count == 0 || ts < p.first {
		p.first = ts
	}
	p.count++
	p.last = max(p.last, ts)
	for p.n > 0 && ring[p.head].t < p.last-window {
		p.head, p.n = wrap(p.head+1, r), p.n-1
	}
	if p.n == r && !pt.rings.last(p.ringClass) {
		pt.rings.grow(p) // room for one more: nothing is dropped before RingLen
		ring = pt.ringOf(s)
		r = int32(len(ring))
	}
	if p.n == r {
		if ts < ring[p.head].t {
			return false
		}
		p.head, p.n = wrap(p.head+1, r), p.n-1
	}
	// Insert in start order, from the newest end: nearly always in place.
	i := wrap(p.head+p.n, r)
	for k := p.n; k > 0; k-- {
		j := wrap(i-1+r, r)
		if ring[j].t <= ts {
			break
		}
		ring[i] = ring[j]
		i = j
	}
	ring[i] = entry{t: ts, id: id, up: up, down: down}
	p.n++
	p.sinceEval++
	return true
}

// wrap maps i in [0, 2r) into the ring [0, r).
func wrap(i, r int32) int32 {
	if i >= r {
		i -= r
	}
	return i
}

// capName cuts s to its first n bytes: a long hostile name keys the pair
// by its start.
func capName(s string, n int) string { return s[:min(len(s), n)] }

// keepName returns a capped name fit to keep: a copy when it was cut, so
// that it pins no more than n bytes of the caller's memory.
func keepName(s string, full int) string {
	if full > len(s) {
		return strings.Clone(s)
	}
	return s
}

func saturate32(x uint64) uint32 {
	if x > 1<<32-1 {
		return 1<<32 - 1
	}
	return uint32(x)
}
