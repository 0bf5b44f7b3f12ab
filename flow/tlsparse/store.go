package tlsparse

import "sync"

// A sensor parses every TLS flow it sees, so the parsers place a hello and
// its lists in one allocation (a store) instead of one per list: fewer
// allocations and less garbage collection per flow. The arrays fit the
// hellos of current browsers and TLS libraries (about 18 extensions, 40 to
// 90 list values, 6 GREASE values, 2 ALPN names; up to 8 server extensions
// and 3 certificates) and no more: the collector's work grows with the
// bytes allocated, and the whole store stays within 2 KiB. Longer lists
// spill to the heap as plain appends would.

// clientStore holds a ClientHello and the arrays its lists are carved from.
type clientStore struct {
	ch     ClientHello
	exts   [20]Extension
	alpn   [2]string
	grease [8]uint16
	u16    [96]uint16
}

// arena returns the store's arrays, ready for parsing into.
func (s *clientStore) arena() clientArena {
	return clientArena{exts: s.exts[:0], alpn: s.alpn[:0], grease: s.grease[:0], u16: u16Arena{s.u16[:0]}}
}

// clientArena is where a ClientHello's lists come from while it is parsed.
type clientArena struct {
	exts   []Extension
	alpn   []string
	grease []uint16
	u16    u16Arena
}

// u16Arena hands out consecutive []uint16 lists from one backing array.
// A list is built by appending to the tail, then carved off with its
// capacity cut to its length, so that appending to one list (a caller
// may) never writes into the next.
type u16Arena struct{ buf []uint16 }

func (a *u16Arena) mark() int     { return len(a.buf) }
func (a *u16Arena) push(v uint16) { a.buf = append(a.buf, v) }
func (a *u16Arena) carve(from int) []uint16 {
	return a.buf[from:len(a.buf):len(a.buf)]
}

// carveOrNil is carve, but nil for an empty list (what appending to a nil
// slice gave before).
func (a *u16Arena) carveOrNil(from int) []uint16 {
	if len(a.buf) == from {
		return nil
	}
	return a.carve(from)
}

// serverStore holds a ServerFlight, its ServerHello and their lists.
type serverStore struct {
	f     ServerFlight
	sh    ServerHello
	exts  [8]Extension
	chain [3][]byte
	types [8]uint8
}

// flowStore is everything one TLS flow's parse allocates in the common
// case, in one piece.
type flowStore struct {
	h Handshake
	c clientStore
	s serverStore
}

// storePool holds the stores of released handshakes: a sensor that
// releases each flow's handshake once its record is written allocates
// almost nothing per flow, which spares the collector most of its work.
var storePool = sync.Pool{New: func() any { return new(flowStore) }}

// Release hands the handshake's memory back for reuse by later parses.
// It is for a caller that parses flows, uses each result and drops it (a
// sensor writing flow records): after Release, neither h nor anything
// reached through it (its hellos and their lists, the server flight and
// its chain) may be used again, and records that alias them (the ALPN
// lists) must have been written. Strings stay valid, and so do the leaf
// certificate and fingerprints shared through a CertCache. Releasing a
// handshake that FromFlow or ParseFlow did not make does nothing;
// releasing one twice is a use after release.
func (h *Handshake) Release() {
	st := h.store
	if st == nil || &st.h != h {
		return
	}
	st.reset()
	storePool.Put(st)
}

// reset zeroes what a parse wrote: the structures, and the used part of
// the arrays that hold pointers. Zeroing the whole store (2 KiB, most of
// it pointer slots) cost more: while the collector runs, each pointer slot
// cleared is a write barrier. An array element past what its list used is
// never read (the next parse appends over it); at worst it keeps an old
// flow's bytes alive until then.
func (st *flowStore) reset() {
	clear(st.c.exts[:min(len(st.c.ch.Extensions), len(st.c.exts))])
	clear(st.c.alpn[:min(len(st.c.ch.ALPN), len(st.c.alpn))])
	clear(st.s.exts[:min(len(st.s.sh.Extensions), len(st.s.exts))])
	clear(st.s.chain[:min(len(st.s.f.Chain), len(st.s.chain))])
	st.h = Handshake{}
	st.c.ch = ClientHello{}
	st.s.f = ServerFlight{}
	st.s.sh = ServerHello{}
}
