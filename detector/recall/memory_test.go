package recall

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

var t0 = time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)

func key(i int) Key {
	return Key{Server: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 443)}
}

var leaf = &tlsparse.Certificate{Subject: "CN=c2.example", SelfSigned: true}

func shown(id uint64, at time.Time) Shown { return Shown{FlowID: id, At: at, Leaf: leaf} }

func TestRememberRecall(t *testing.T) {
	m := New(0, 0)
	k := Key{Server: netip.MustParseAddrPort("203.0.113.7:443"), SNI: "c2.example"}
	if _, ok := m.Recall(k, t0); ok {
		t.Fatal("recalled an unknown server")
	}
	m.Remember(k, shown(1, t0))
	if s, ok := m.Recall(k, t0.Add(time.Hour)); !ok || s.FlowID != 1 {
		t.Fatalf("recall: %+v %v", s, ok)
	}
	other := k
	other.SNI = "other.example"
	if _, ok := m.Recall(other, t0.Add(time.Hour)); ok {
		t.Error("recalled a server by another name")
	}
	if _, ok := m.Recall(k, t0.Add(-time.Second)); ok {
		t.Error("recalled before it was shown")
	}
	if _, ok := m.Recall(k, t0.Add(DefaultMaxAge+time.Second)); ok {
		t.Error("recalled after the maximum age")
	}
	m.Remember(k, Shown{FlowID: 2, At: t0.Add(time.Minute)}) // a clean certificate now
	if _, ok := m.Recall(k, t0.Add(time.Hour)); ok || m.Len() != 0 {
		t.Errorf("a server that showed a clean certificate is still remembered (%d)", m.Len())
	}
}

// The memory holds at most its size, the oldest remembered giving way, and
// its queue stays bounded however often servers come back.
func TestBounded(t *testing.T) {
	const size = 64
	m := New(size, 0)
	for i := range 10 * size {
		m.Remember(key(i), shown(uint64(i), t0))
		if i%3 == 0 {
			m.Remember(key(i-1), shown(uint64(i), t0)) // again: updated in place
		}
		if i%7 == 0 {
			m.Remember(key(i-2), Shown{At: t0}) // forgotten
		}
		if m.Len() > size {
			t.Fatalf("after %d: %d kept", i, m.Len())
		}
		n := int32(0)
		for _, c := range m.servers {
			n += c
		}
		if int(n) != m.Len() {
			t.Fatalf("after %d: %d kept, %d counted by address", i, m.Len(), n)
		}
		if q := len(m.queue) - m.head; q > 2*size+16 || len(m.queue) > 4*size+2048 {
			t.Fatalf("after %d: queue %d (head %d)", i, len(m.queue), m.head)
		}
	}
	last := 10*size - 1
	if _, ok := m.Recall(key(last), t0); !ok {
		t.Error("the latest server was evicted")
	}
	if _, ok := m.Recall(key(0), t0); ok {
		t.Error("the first server is still there")
	}
}

func TestLongName(t *testing.T) {
	m := New(4, 0)
	long := fmt.Sprintf("%0300d", 7)
	k := Key{Server: netip.MustParseAddrPort("192.0.2.1:443"), SNI: long}
	m.Remember(k, shown(1, t0))
	if _, ok := m.Recall(k, t0); !ok {
		t.Error("a long name is not recalled")
	}
}

// What the kept certificates weigh stays within the budget, however long
// a hostile server's names; their DER is not kept.
func TestBytesBounded(t *testing.T) {
	m := New(0, 0)
	long := strings.Repeat("a", 60000)
	for i := range 1000 {
		c := &tlsparse.Certificate{Raw: make([]byte, 1<<16), Subject: "CN=" + long, DNSNames: []string{long, long}, SHA256Fingerprint: fmt.Sprint(i)}
		m.Remember(key(i), Shown{FlowID: uint64(i), At: t0, Leaf: c})
		if m.bytes > DefaultBytes {
			t.Fatalf("after %d: %d bytes kept", i, m.bytes)
		}
	}
	s, ok := m.Recall(key(999), t0)
	if !ok || s.Leaf.Raw != nil || s.Leaf.Subject != "CN="+long {
		t.Fatalf("the latest: %v, DER kept %v", ok, s.Leaf != nil && s.Leaf.Raw != nil)
	}
	huge := &tlsparse.Certificate{Subject: strings.Repeat("b", DefaultBytes)}
	m.Remember(key(5000), Shown{At: t0, Leaf: huge})
	if _, ok := m.Recall(key(5000), t0); ok || m.bytes > DefaultBytes {
		t.Errorf("a certificate heavier than the budget is kept (%d bytes)", m.bytes)
	}
	total := 0
	for _, e := range m.shown {
		total += e.weight
	}
	if total != m.bytes {
		t.Errorf("weights sum to %d, counted %d", total, m.bytes)
	}
}

// The chain's issuer is kept with the certificate, weighs in the budget,
// and a server that shows the same certificate under another chain is
// updated in place.
func TestChainIssuerKept(t *testing.T) {
	m := New(0, 0)
	k := key(1)
	m.Remember(k, Shown{FlowID: 1, At: t0, Leaf: leaf, ChainIssuer: []byte("private CA")})
	before := m.bytes
	m.Remember(k, Shown{FlowID: 2, At: t0, Leaf: leaf, ChainIssuer: []byte("another, longer private CA")})
	s, ok := m.Recall(k, t0)
	if !ok || string(s.ChainIssuer) != "another, longer private CA" || s.FlowID != 2 {
		t.Fatalf("recall: %+v %v", s, ok)
	}
	if m.bytes-before != len("another, longer private CA")-len("private CA") || m.Len() != 1 {
		t.Errorf("weight %d -> %d for %d servers", before, m.bytes, m.Len())
	}
	big := Shown{At: t0, Leaf: leaf, ChainIssuer: make([]byte, DefaultBytes)}
	m.Remember(key(2), big)
	if _, ok := m.Recall(key(2), t0); ok || m.bytes > DefaultBytes {
		t.Errorf("an issuer heavier than the budget is kept (%d bytes)", m.bytes)
	}
}
