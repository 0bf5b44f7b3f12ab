package tlsparse

import (
	"slices"
	"sync"
)

// Rendering and hashing the fingerprints (two MD5s and two SHA-256s over
// a few hundred bytes, two sorts) costs more than parsing the hello, yet
// a network's clients send a few hundred distinct hellos in all. The
// cache keys each hello by exactly what its fingerprints are computed
// from, GREASE left out (it changes per connection and no fingerprint
// keeps it), so a hello seen before costs a key and a map lookup.
//
// Chromium shuffles its extensions in every hello, so there are two
// levels. The exact key holds the extensions as sent and finds all of a
// hello's prints at once: a hello seen before in the same order. The
// order-free key holds them sorted and finds what does not depend on the
// order (everything but JA3): a known client in a new order then costs
// its JA3 alone. A client gets exact entries for a few orders; one that
// shows more than that has its JA3 rendered every time (a string and one
// MD5) instead of filling the cache.

// clientPrints are a hello's fingerprints, as Handshake.Prints gives them.
type clientPrints struct {
	ja3, ja3n JA3
	ja4, ja4r string
}

// orderFree is the cache's entry for a hello whatever its extension
// order: the fingerprints that do not depend on it.
type orderFree struct {
	ja3n      JA3
	ja4, ja4r string
	orders    int // exact entries made for its orders; guarded by printCache.mu
}

// maxOrders bounds the extension orders of one client given exact entries.
const maxOrders = 8

// printCache remembers fingerprints by key, at most size of each kind;
// the oldest entry goes first. Safe for concurrent use. The prints it
// hands out are shared: never changed once made.
type printCache struct {
	mu      sync.Mutex
	exact   memo[string, *clientPrints] // by the exact key
	clients memo[string, *orderFree]    // by the order-free key
	servers memo[string, *JA3]
	hits    uint64
	misses  uint64
}

func newPrintCache(size int) *printCache {
	return &printCache{
		exact:   newMemo[string, *clientPrints](size),
		clients: newMemo[string, *orderFree](size),
		servers: newMemo[string, *JA3](size),
	}
}

// client returns the hello's fingerprints, from the cache when a hello
// with the same key was seen; c may be nil.
func (c *printCache) client(ch *ClientHello, t Transport) clientPrints {
	if c == nil {
		return renderClientPrints(ch, t)
	}
	return *c.clientEntry(ch, t)
}

// noClientPrints is the entry of every hello without fingerprints (a
// truncated one): the cache's keys leave out where a hello was cut, so
// such a hello must not look its prints up.
var noClientPrints clientPrints

// clientEntry returns the hello's fingerprints, from the cache or added
// to it. A hit is a hello seen in the same extension order.
func (c *printCache) clientEntry(ch *ClientHello, t Transport) *clientPrints {
	if !ch.hasPrints() {
		return &noClientPrints
	}
	var kb [printKeySize]byte
	exact := ch.appendPrintKey(kb[:0], t, false)
	c.mu.Lock()
	p, ok := c.exact.m[string(exact)] // no allocation for the lookups
	c.count(ok)
	c.mu.Unlock()
	if ok {
		return p
	}
	var fb [printKeySize]byte
	free := ch.appendPrintKey(fb[:0], t, true)
	c.mu.Lock()
	e, known := c.clients.m[string(free)]
	c.mu.Unlock()
	if known { // a new order of a known hello
		ja3, _ := ch.ja3s(wantJA3)
		p = &clientPrints{ja3: ja3, ja3n: e.ja3n, ja4: e.ja4, ja4r: e.ja4r}
	} else {
		all := renderClientPrints(ch, t)
		p = &all
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !known {
		e = c.clients.add(string(free), &orderFree{ja3n: p.ja3n, ja4: p.ja4, ja4r: p.ja4r}) // or the one another goroutine added meanwhile
	}
	if old, taken := c.exact.m[string(exact)]; taken {
		return old
	}
	if e.orders < maxOrders {
		e.orders++
		c.exact.add(string(exact), p)
	}
	return p
}

// server returns the JA3S of sh, from the cache when seen; c may be nil.
func (c *printCache) server(sh *ServerHello) JA3 {
	if c == nil || !sh.hasJA3S() {
		return sh.JA3S()
	}
	return *c.serverEntry(sh)
}

// serverEntry is the cache's entry for the hello (one with a JA3S: the
// key leaves out where a hello was cut), added if missing.
func (c *printCache) serverEntry(sh *ServerHello) *JA3 {
	var kb [printKeySize]byte
	key := sh.appendPrintKey(kb[:0])
	c.mu.Lock()
	j, ok := c.servers.m[string(key)]
	c.count(ok)
	c.mu.Unlock()
	if ok {
		return j
	}
	rendered := sh.JA3S()
	c.mu.Lock()
	j = c.servers.add(string(key), &rendered)
	c.mu.Unlock()
	return j
}

func (c *printCache) count(hit bool) {
	if hit {
		c.hits++
	} else {
		c.misses++
	}
}

func (c *printCache) stats() (hits, misses uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses
}

// renderClientPrints computes the fingerprints, all strings in one
// allocation.
func renderClientPrints(ch *ClientHello, t Transport) clientPrints {
	var buf [printBufSize]byte
	b, sp := ch.appendPrints(buf[:0], wantJA3|wantJA3N|wantJA4, t)
	all := string(b)
	return clientPrints{
		ja3:  JA3{Full: sp.ja3.of(all), Hash: sp.ja3Hash.of(all)},
		ja3n: JA3{Full: sp.ja3n.of(all), Hash: sp.ja3nHash.of(all)},
		ja4:  sp.ja4.of(all),
		ja4r: sp.ja4r.of(all),
	}
}

// printKeySize fits the key of nearly every hello on the stack.
const printKeySize = 512

// appendPrintKey appends the hello's key: what its fingerprints depend
// on. That is the transport, how the hello was cut (JA3), its version,
// JA4's version and ALPN characters, and the GREASE-free cipher,
// extension, group, point format and signature algorithm lists, each with
// its length. The extensions come as sent (the exact key), or sorted (the
// order-free key: everything but JA3 depends on nothing else).
func (ch *ClientHello) appendPrintKey(b []byte, t Transport, sorted bool) []byte {
	v := ja4Version(ch)
	a0, a1 := ja4ALPN(ch)
	b = append(b, byte(t), byte(ch.ja3Cut), byte(ch.Version>>8), byte(ch.Version), v[0], v[1], a0, a1)
	b = appendKeyList(b, ch.CipherSuites)
	var ebuf [64]uint16
	exts := ebuf[:0]
	for _, e := range ch.Extensions {
		if !IsGREASE(e.Type) {
			exts = append(exts, e.Type)
		}
	}
	if sorted {
		slices.Sort(exts)
	}
	b = appendKeyList(b, exts)
	b = appendKeyList(b, ch.SupportedGroups)
	b = append(b, byte(len(ch.ECPointFormats)>>8), byte(len(ch.ECPointFormats)))
	b = append(b, ch.ECPointFormats...)
	return appendKeyList(b, ch.SignatureAlgorithms)
}

// appendPrintKey appends what JA3S depends on.
func (sh *ServerHello) appendPrintKey(b []byte) []byte {
	b = append(b, byte(sh.Version>>8), byte(sh.Version), byte(sh.CipherSuite>>8), byte(sh.CipherSuite))
	for _, e := range sh.Extensions {
		if !IsGREASE(e.Type) {
			b = append(b, byte(e.Type>>8), byte(e.Type))
		}
	}
	return b
}

// appendKeyList appends the count and values of the non-GREASE entries
// of vs.
func appendKeyList(b []byte, vs []uint16) []byte {
	n := len(b)
	b = append(b, 0, 0)
	count := 0
	for _, v := range vs {
		if !IsGREASE(v) {
			b = append(b, byte(v>>8), byte(v))
			count++
		}
	}
	b[n], b[n+1] = byte(count>>8), byte(count)
	return b
}
