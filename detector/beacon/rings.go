package beacon

// Most pairs see one or two connections (a scan, a browser's one visit),
// a few see many. A pair's ring therefore starts small and doubles as its
// connections arrive, up to Config.RingLen: the rings of a full table of
// one-connection pairs take a few MiB instead of MaxPairs × RingLen
// entries, memory the process would otherwise fault in page by page.
// What a ring holds does not depend on its size: a ring is only full, and
// drops its oldest entry, at RingLen.

// firstRing is the size of a new pair's ring (RingLen if smaller).
const firstRing = 4

// ringsPerChunk is how many rings of one size a chunk of storage holds:
// chunks are allocated as rings are needed and never move.
const ringsPerChunk = 256

// ringClass is the storage of the rings of one size.
type ringClass struct {
	size   int32
	chunks [][]entry
	used   int32   // rings handed out from the chunks so far
	free   []int32 // rings given back (their pair grew), reused first
}

// ringStore holds the pairs' rings, by size: firstRing, doubling, RingLen.
type ringStore struct {
	classes []ringClass
}

func newRingStore(ringLen int) ringStore {
	var rs ringStore
	for size := min(firstRing, ringLen); ; size *= 2 {
		size = min(size, ringLen)
		rs.classes = append(rs.classes, ringClass{size: int32(size)})
		if size == ringLen {
			return rs
		}
	}
}

// get returns a ring of class c (its contents are not cleared: a ring's
// entries are read only up to its pair's n).
func (rs *ringStore) get(c uint8) int32 {
	cl := &rs.classes[c]
	if n := len(cl.free); n > 0 {
		id := cl.free[n-1]
		cl.free = cl.free[:n-1]
		return id
	}
	id := cl.used
	if int(id/ringsPerChunk) == len(cl.chunks) {
		cl.chunks = append(cl.chunks, make([]entry, ringsPerChunk*int(cl.size)))
	}
	cl.used++
	return id
}

// put gives ring id of class c back.
func (rs *ringStore) put(c uint8, id int32) {
	rs.classes[c].free = append(rs.classes[c].free, id)
}

// ring is the storage of ring id of class c.
func (rs *ringStore) ring(c uint8, id int32) []entry {
	cl := &rs.classes[c]
	chunk := cl.chunks[id/ringsPerChunk]
	off := int(id%ringsPerChunk) * int(cl.size)
	return chunk[off : off+int(cl.size) : off+int(cl.size)]
}

// last reports whether c is the largest class (RingLen).
func (rs *ringStore) last(c uint8) bool { return int(c) == len(rs.classes)-1 }

// grow moves pair p's ring (full, of class p.ringClass) into one of the
// next size, oldest entry first.
func (rs *ringStore) grow(p *pair) {
	old := rs.ring(p.ringClass, p.ringID)
	c := p.ringClass + 1
	id := rs.get(c)
	ring := rs.ring(c, id)
	r := int32(len(old))
	for i := range p.n {
		ring[i] = old[wrap(p.head+i, r)]
	}
	rs.put(p.ringClass, p.ringID)
	p.ringClass, p.ringID, p.head = c, id, 0
}
