package tlsparse

import (
	"bytes"
	"hash/maphash"
	"sync"
)

// CertCache remembers parsed certificates by their DER bytes, so that a
// server's certificate seen again (the common case: a network talks to
// the same servers all day) costs a hash instead of an X.509 parse and a
// signature check. It also remembers the fingerprints of the hellos of the
// handshakes parsed with it (Handshake.Prints), which repeat as much. It
// holds at most its size of each; the oldest entry goes first. Safe for
// concurrent use. The certificates it returns are shared: read them,
// never change them.
type CertCache struct {
	prints *printCache

	mu    sync.Mutex
	seed  maphash.Seed
	byKey memo[uint64, *Certificate] // by a fast hash of the DER; the bytes are compared on a hit
	hits  uint64
	miss  uint64
}

// NewCertCache returns a cache of at most size certificates (size < 1
// gives 1).
func NewCertCache(size int) *CertCache {
	size = max(size, 1)
	return &CertCache{
		prints: newPrintCache(size),
		seed:   maphash.MakeSeed(),
		byKey:  newMemo[uint64, *Certificate](size),
	}
}

// printCache is where handshakes parsed with c look up fingerprints; nil
// for a nil cache.
func (c *CertCache) printCache() *printCache {
	if c == nil {
		return nil
	}
	return c.prints
}

// PrintStats returns the fingerprint lookups (a client's set, a server's
// JA3S) that found the hello's fingerprints and those that did not.
func (c *CertCache) PrintStats() (hits, misses uint64) { return c.prints.stats() }

// Parse returns the summary of der, from the cache when it was seen.
func (c *CertCache) Parse(der []byte) *Certificate {
	if c == nil {
		return ParseCertificate(der)
	}
	key := c.key(der)
	c.mu.Lock()
	cert, ok := c.byKey.m[key]
	ok = ok && bytes.Equal(cert.Raw, der)
	if ok {
		c.hits++
	} else {
		c.miss++
	}
	c.mu.Unlock()
	if ok {
		return cert
	}
	// A copy: der may alias a flow's whole handshake stream (FromFlow),
	// which the cache must not keep alive.
	cert = ParseCertificate(bytes.Clone(der))
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, taken := c.byKey.m[key]; taken {
		return cert // the same certificate added meanwhile, or a hash collision: keep the first
	}
	c.byKey.add(key, cert)
	return cert
}

// key hashes the certificate's length, first and last bytes rather than
// all of it (1 to 2 KB, hashed for every TLS 1.2 flow): the last bytes are
// its signature, which no two certificates share. A hit is confirmed by
// comparing all the bytes, so a crafted certificate with another's key is
// a miss, parsed as usual (and not cached while the other holds the key).
func (c *CertCache) key(der []byte) uint64 {
	const edge = 64
	if len(der) <= 2*edge {
		return maphash.Bytes(c.seed, der)
	}
	var buf [4 + 2*edge]byte
	b := append(buf[:0], byte(len(der)>>24), byte(len(der)>>16), byte(len(der)>>8), byte(len(der)))
	b = append(b, der[:edge]...)
	b = append(b, der[len(der)-edge:]...)
	return maphash.Bytes(c.seed, b)
}

// Stats returns the lookups that found a certificate and those that did not.
func (c *CertCache) Stats() (hits, misses uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.miss
}
