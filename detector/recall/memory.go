package recall

import (
	"bytes"
	"net/netip"
	"sync"
	"time"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// Key is a server as a resumed session names it: address, port and the
// server name the client asked for ("" without SNI).
type Key struct {
	Server netip.AddrPort
	SNI    string
}

// Shown is a certificate with evidence that a server showed in one flow:
// the certificate is kept (shared with the parser's cache, never
// changed), and worded only when a resumed session recalls it.
type Shown struct {
	FlowID uint64
	At     time.Time // the flow's start
	Leaf   *tlsparse.Certificate
	// ChainIssuer is the issuer the chain led to (the caller's copy: kept
	// as it is).
	ChainIssuer []byte
}

// Defaults.
const (
	DefaultSize   = 4096 // each keeps its certificate, 1-2 KB
	DefaultMaxAge = 24 * time.Hour
	// DefaultBytes bounds what the kept certificates weigh (their names:
	// a hostile server's certificate may carry many long ones; the DER is
	// not kept).
	DefaultBytes = 8 << 20
	maxSNI       = 255 // longer names are kept by their start
	entryBytes   = 256 // an entry's own weight, beside its names
)

// Memory is a bounded map from servers to what they last showed.
type Memory struct {
	mu     sync.Mutex
	size   int
	maxAge time.Duration
	shown  map[Key]*entry
	// servers counts the kept entries per address and port: a flow that
	// shows nothing of note (most) is checked against it, cheaper to hash
	// than a Key with its name.
	servers map[netip.AddrPort]int32
	queue   []queued // remembered, oldest first from head; stale ones skipped
	head    int
	bytes   int // what the kept entries weigh (weight)
	budget  int
}

type entry struct {
	Shown  // a nil Leaf once dropped: its queued entry is then stale
	weight int
}

// weight is what a kept certificate's names and chain issuer weigh.
func weight(s Shown) int {
	c := s.Leaf
	n := entryBytes + len(s.ChainIssuer) + len(c.Subject) + len(c.Issuer) + len(c.Serial) + len(c.SHA256Fingerprint) + len(c.SHA1Fingerprint) +
		len(c.PublicKey) + len(c.SignatureAlgorithm) + len(c.CertError) + 16*len(c.IPAddresses)
	for _, d := range c.DNSNames {
		n += 16 + len(d)
	}
	return n
}

// summary is the certificate as kept: without its DER, which may be the
// size of a whole handshake.
func summary(c *tlsparse.Certificate) *tlsparse.Certificate {
	k := *c
	k.Raw = nil
	return &k
}

// queued is a remembered server in the order of its turn to give way,
// with its entry: the queue tells a stale turn (the server dropped, or
// remembered anew since) by the entry, without looking the server up.
type queued struct {
	k Key
	e *entry
}

// New makes a memory of at most size servers (DefaultSize when size ≤ 0)
// that recalls what was shown at most maxAge before (DefaultMaxAge when
// maxAge ≤ 0).
func New(size int, maxAge time.Duration) *Memory {
	if size <= 0 {
		size = DefaultSize
	}
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	return &Memory{size: size, maxAge: maxAge, budget: DefaultBytes, shown: map[Key]*entry{}, servers: map[netip.AddrPort]int32{}}
}

func clip(k Key) Key {
	if len(k.SNI) > maxSNI {
		k.SNI = k.SNI[:maxSNI]
	}
	return k
}

// Remember notes what server k showed; a flow that showed nothing of note
// (a nil Leaf) makes the memory forget the server. When full, the server
// first remembered longest ago gives way.
func (m *Memory) Remember(k Key, s Shown) {
	k = clip(k)
	m.mu.Lock()
	defer m.mu.Unlock()
	if s.Leaf == nil {
		if m.servers[k.Server] > 0 {
			m.forget(k) // its queued entry goes stale
		}
		return
	}
	if e, ok := m.shown[k]; ok {
		// In place: the server keeps its turn to give way.
		e.FlowID, e.At = s.FlowID, s.At
		if e.Leaf.SHA256Fingerprint != s.Leaf.SHA256Fingerprint || !bytes.Equal(e.ChainIssuer, s.ChainIssuer) {
			w := weight(s)
			m.bytes += w - e.weight
			e.Leaf, e.ChainIssuer, e.weight = summary(s.Leaf), s.ChainIssuer, w
		}
	} else {
		m.servers[k.Server]++
		e := &entry{Shown: s, weight: weight(s)}
		e.Leaf = summary(s.Leaf)
		m.shown[k] = e
		m.bytes += e.weight
		m.queue = append(m.queue, queued{k, e})
	}
	// Every kept server has its entry in the queue, so this ends; a
	// certificate heavier than the whole budget is not kept.
	for (len(m.shown) > m.size || m.bytes > m.budget) && m.head < len(m.queue) {
		q := m.queue[m.head]
		m.head++
		if q.e.Leaf != nil {
			m.drop(q.k, q.e)
		}
	}
	if live := len(m.queue) - m.head; live > 2*m.size+16 || (m.head > 1024 && m.head > live) {
		m.compact()
	}
}

// forget drops server k, when kept.
func (m *Memory) forget(k Key) {
	if e, ok := m.shown[k]; ok {
		m.drop(k, e)
	}
}

// drop drops server k, kept as e (looked up once: a full memory drops
// one server for each it takes).
func (m *Memory) drop(k Key, e *entry) {
	m.bytes -= e.weight
	e.Shown = Shown{} // its turn in the queue is stale; its certificate goes
	delete(m.shown, k)
	if n := m.servers[k.Server] - 1; n > 0 {
		m.servers[k.Server] = n
	} else {
		delete(m.servers, k.Server)
	}
}

// compact drops the queue's stale entries (servers forgotten or
// remembered again since). It works in place: a new queue each time would
// grow again by copies to the size this one has (at most about twice
// 2*size+16 entries, the bound that calls it).
func (m *Memory) compact() {
	kept := m.queue[:0]
	for _, q := range m.queue[m.head:] {
		if q.e.Leaf != nil {
			kept = append(kept, q) // at or before q: nothing unread is overwritten
		}
	}
	clear(m.queue[len(kept):]) // the dropped entries' names go
	m.queue, m.head = kept, 0
}

// Recall returns what server k showed, when it was shown no more than
// the memory's maximum age before at (and not after it).
func (m *Memory) Recall(k Key, at time.Time) (Shown, bool) {
	k = clip(k)
	m.mu.Lock()
	var s Shown
	e, ok := m.shown[k]
	if ok {
		s = e.Shown
	}
	m.mu.Unlock()
	if !ok || at.Before(s.At) || at.Sub(s.At) > m.maxAge {
		return Shown{}, false
	}
	return s, true
}

// Len is how many servers are remembered.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.shown)
}
