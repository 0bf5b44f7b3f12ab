package tlsparse

// memo is a map bounded to its size that drops its oldest entry first:
// the certificate and fingerprint caches. Not safe for concurrent use on
// its own; its owners lock around it.
type memo[K comparable, V any] struct {
	m    map[K]V
	ring []K // keys in insertion order
	next int
}

func newMemo[K comparable, V any](size int) memo[K, V] {
	size = max(size, 1)
	// The map grows as entries come rather than being sized for the
	// bound: a network's few hundred hellos and certificates then sit in
	// a small table, close together in the processor's caches.
	return memo[K, V]{m: make(map[K]V), ring: make([]K, 0, size)}
}

// add adds v under key and returns it, or returns the value another
// goroutine added meanwhile (the first one stays).
func (m *memo[K, V]) add(key K, v V) V {
	if old, ok := m.m[key]; ok {
		return old
	}
	if len(m.ring) < cap(m.ring) {
		m.ring = append(m.ring, key)
	} else {
		delete(m.m, m.ring[m.next])
		m.ring[m.next] = key
		m.next = (m.next + 1) % len(m.ring)
	}
	m.m[key] = v
	return v
}
