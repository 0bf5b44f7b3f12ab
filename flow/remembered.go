package flow

// A TCP connection handed out (complete, too old, closed, or evicted from
// a full table) leaves the table at once: what its later packets need is
// only whether they belong to it, so the table keeps its key, its state
// and the network time of its last packet (clock.go) in a memory of its
// own (remembered), under 90
// bytes an entry against a flow's hundreds plus its buffers. Its later
// packets are counted there, not reborn as a new mid-stream flow, until it
// times out (IdleTimeout; ClosedTimeout after FIN or RST) or a new SYN
// reuses its 5-tuple.
//
// The memory is bounded (Config.MaxRemembered). When it is full the entry
// least recently seen is given up (Stats.EvictedFinished), and its key's fingerprint is kept in a small direct-mapped
// filter: a mid-stream flow that opens on that key later is marked
// PickupAfterEviction, the one case where a connection can still give two
// records.
//
// Layout: entries live in a slab (slots reused through a free list, the
// slab doubling up to the bound, so an idle table holds nothing), on one
// of two recency lists (open, closed: each has a single timeout, so expiry
// looks only at their heads, as the table's own lists do), and an
// open-addressed index (linear probing, backward-shift deletion) maps a
// key's hash to its slot.

// remembered entry states (bits).
const (
	remClosed uint8 = 1 << iota // FIN both ways or RST: ClosedTimeout applies
	remFinLo                    // Lo sent FIN
	remFinHi                    // Hi sent FIN
	remSynLo                    // Lo's SYN was seen (isn[0] holds its ISN)
	remSynHi                    // Hi's SYN was seen
)

type remEntry struct {
	key        Key
	state      uint8
	hash       uint32 // low bits of key.Hash(): the index's home slot
	isn        [2]uint32
	prev, next int32 // recency list links (slots; -1: none); next links the free list too
	id         uint64
	seen       int64 // network time of its last packet (clock.go)
}

// remList is a recency list of slab slots, least recently seen first.
type remList struct{ head, tail int32 }

// remembered is the bounded memory of handed-out TCP connections.
type remembered struct {
	bound int // most entries

	slab         []remEntry
	free         int32 // first free slot (-1: none)
	live         int
	open, closed remList

	index []int32 // slot + 1; 0: empty. A power of two, at least twice the slab.

	givenUp []uint32 // fingerprints of given-up keys, direct-mapped by hash
}

func newRemembered(bound int) remembered {
	return remembered{bound: bound, free: -1, open: remList{-1, -1}, closed: remList{-1, -1}}
}

// remStart is the slab's first size; it doubles up to the bound.
const remStart = 256

// find returns the slot of key's entry (h is key.Hash()), or -1.
func (r *remembered) find(key *Key, h uint64) int32 {
	if r.live == 0 {
		return -1
	}
	mask := len(r.index) - 1
	for i := int(uint32(h)) & mask; r.index[i] != 0; i = (i + 1) & mask {
		s := r.index[i] - 1
		if e := &r.slab[s]; e.hash == uint32(h) && e.key == *key {
			return s
		}
	}
	return -1
}

// add remembers a handed-out connection. It reports whether an older
// entry had to be given up to make room.
func (r *remembered) add(e remEntry) (gaveUp bool) {
	if r.live == r.bound {
		// The least recently seen of the two lists' heads; a closed one
		// on a tie (it has little left to send).
		s := r.closed.head
		if o := r.open.head; s < 0 || o >= 0 && r.slab[o].seen < r.slab[s].seen {
			s = o
		}
		r.giveUp(s)
		gaveUp = true
	}
	if r.free < 0 {
		r.grow()
	}
	s := r.free
	r.free = r.slab[s].next
	r.slab[s] = e
	r.live++
	r.indexInsert(e.hash, s)
	r.listOf(&e).pushBack(r, s)
	return gaveUp
}

func (r *remembered) listOf(e *remEntry) *remList {
	if e.state&remClosed != 0 {
		return &r.closed
	}
	return &r.open
}

// grow doubles the slab (up to the bound) and rebuilds the index for it.
// Slots keep their numbers, so the lists stay as they are.
func (r *remembered) grow() {
	old := len(r.slab)
	n := min(max(2*old, remStart), r.bound)
	r.slab = append(r.slab, make([]remEntry, n-old)...)
	for s := n - 1; s >= old; s-- {
		r.slab[s].next = r.free
		r.free = int32(s)
	}
	r.index = make([]int32, nextPow2(2*n))
	for _, l := range []*remList{&r.open, &r.closed} {
		for s := l.head; s >= 0; s = r.slab[s].next {
			r.indexInsert(r.slab[s].hash, s)
		}
	}
}

// touch takes a later packet's network time and moves the entry to the
// back of its list (to the closed list if the packet closed it).
func (r *remembered) touch(s int32, now int64, wasClosed bool) {
	e := &r.slab[s]
	if now > e.seen {
		e.seen = now
	}
	from := &r.open
	if wasClosed {
		from = &r.closed
	}
	from.remove(r, s)
	r.listOf(e).pushBack(r, s)
}

// giveUp forgets slot s's entry for want of room, keeping its fingerprint.
func (r *remembered) giveUp(s int32) {
	if r.givenUp == nil {
		r.givenUp = make([]uint32, nextPow2(r.bound))
	}
	full := r.slab[s].key.Hash()
	r.givenUp[int(uint32(full))&(len(r.givenUp)-1)] = fingerprint(full)
	r.remove(s)
}

// pickedUp reports (and forgets) whether the key of hash h was given up.
func (r *remembered) pickedUp(h uint64) bool {
	if r.givenUp == nil {
		return false
	}
	i := int(uint32(h)) & (len(r.givenUp) - 1)
	if r.givenUp[i] != fingerprint(h) {
		return false
	}
	r.givenUp[i] = 0
	return true
}

// fingerprint is never 0, the filter's empty value.
func fingerprint(h uint64) uint32 { return uint32(h>>32) | 1 }

// remove forgets the entry in slot s.
func (r *remembered) remove(s int32) {
	r.indexDelete(s)
	r.listOf(&r.slab[s]).remove(r, s)
	r.slab[s] = remEntry{next: r.free}
	r.free = s
	r.live--
}

// expire forgets the entries last seen before now minus their timeout.
func (r *remembered) expire(now, idle, closed int64) {
	for s := r.open.head; s >= 0 && r.slab[s].seen < now-idle; s = r.open.head {
		r.remove(s)
	}
	for s := r.closed.head; s >= 0 && r.slab[s].seen < now-closed; s = r.closed.head {
		r.remove(s)
	}
	if r.live == 0 && len(r.slab) > remStart {
		r.reset() // a flood passed: give its memory back
	}
}

// lapsed reports whether slot s's entry has been silent longer than its
// timeout by network time now: what expire would forget. A later packet
// asks it, so that whether the packet still belongs to the handed-out
// connection does not depend on when expire last ran.
func (r *remembered) lapsed(s int32, now, idle, closed int64) bool {
	e := &r.slab[s]
	if e.state&remClosed != 0 {
		return e.seen < now-closed
	}
	return e.seen < now-idle
}

// reset forgets every entry and the memory they took; the fingerprints of
// those given up stay.
func (r *remembered) reset() {
	g := r.givenUp
	*r = newRemembered(r.bound)
	r.givenUp = g
}

func (l *remList) pushBack(r *remembered, s int32) {
	e := &r.slab[s]
	e.prev, e.next = l.tail, -1
	if l.tail >= 0 {
		r.slab[l.tail].next = s
	} else {
		l.head = s
	}
	l.tail = s
}

func (l *remList) remove(r *remembered, s int32) {
	e := &r.slab[s]
	if e.prev >= 0 {
		r.slab[e.prev].next = e.next
	} else {
		l.head = e.next
	}
	if e.next >= 0 {
		r.slab[e.next].prev = e.prev
	} else {
		l.tail = e.prev
	}
	e.prev, e.next = -1, -1
}

func (r *remembered) indexInsert(h uint32, s int32) {
	mask := len(r.index) - 1
	i := int(h) & mask
	for r.index[i] != 0 {
		i = (i + 1) & mask
	}
	r.index[i] = s + 1
}

// indexDelete removes slot s from the index, shifting back the entries
// after it that probed past it (no tombstones).
func (r *remembered) indexDelete(s int32) {
	mask := len(r.index) - 1
	i := int(r.slab[s].hash) & mask
	for r.index[i] != s+1 {
		i = (i + 1) & mask
	}
	r.index[i] = 0
	for j := (i + 1) & mask; r.index[j] != 0; j = (j + 1) & mask {
		home := int(r.slab[r.index[j]-1].hash) & mask
		// Move j's entry into the hole at i unless its home lies in (i, j].
		if (j-home)&mask >= (j-i)&mask {
			r.index[i], r.index[j] = r.index[j], 0
			i = j
		}
	}
}

func nextPow2(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}

// isNewConnection reports whether a SYN on a remembered connection's
// 5-tuple starts a new one: after a close always, otherwise unless it
// repeats the side's SYN (same ISN).
func (e *remEntry) isNewConnection(s *Segment, srcIsLo bool) bool {
	if s.Flags&(FlagSYN|FlagACK) != FlagSYN {
		return false
	}
	if e.state&remClosed != 0 {
		return true
	}
	d := dirOf(srcIsLo)
	if e.state&(remSynLo<<d) != 0 {
		return s.Seq != e.isn[d]
	}
	return true
}

// late takes a later segment of the connection in slot s, read at
// network time now: it is only counted, and a FIN both ways or an RST
// closes the connection.
func (r *remembered) late(s int32, seg *Segment, srcIsLo bool, now int64) {
	e := &r.slab[s]
	wasClosed := e.state&remClosed != 0
	if seg.Flags&FlagFIN != 0 {
		e.state |= remFinLo << dirOf(srcIsLo)
	}
	if seg.Flags&FlagRST != 0 || e.state&(remFinLo|remFinHi) == remFinLo|remFinHi {
		e.state |= remClosed
	}
	r.touch(s, now, wasClosed)
}
