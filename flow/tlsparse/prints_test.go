package tlsparse

import (
	"fmt"
	"reflect"
	"testing"
)

// separatePrints computes what Handshake.Prints must give with the
// single-fingerprint methods.
func separatePrints(h *Handshake) FlowPrints {
	var p FlowPrints
	if ch := h.Client; ch != nil {
		p.JA3, p.JA3N = ch.JA3(), ch.JA3N()
		ja4 := ch.JA4(TransportTCP)
		p.JA4, p.JA4R = ja4.JA4, ja4.JA4R
		if ja4 != (JA4{JA4: p.JA4, JA4R: p.JA4R, JA4O: ja4.JA4O, JA4RO: ja4.JA4RO}) || ch.JA4Basic(TransportTCP) != (JA4{JA4: p.JA4, JA4R: p.JA4R}) {
			panic("JA4Basic differs from JA4")
		}
	}
	if h.Server != nil && h.Server.ServerHello != nil {
		p.JA3S = h.Server.ServerHello.JA3S()
	}
	return p
}

// fuzzCache lives across fuzz inputs: a cache key that missed something a
// fingerprint depends on would hand one input another's fingerprints.
// Small, so that eviction runs too.
var fuzzCache = NewCertCache(32)

func FuzzParseFlow(f *testing.F) {
	clients, servers := fuzzSeeds(f)
	for i := range clients {
		f.Add(clients[i], servers[min(i, len(servers)-1)])
	}
	f.Fuzz(func(t *testing.T, client, server []byte) {
		copied := ParseFlow(client, server, client, server, nil)
		aliased := parseFlow(client, server, client, server, nil, false, false)
		if !reflect.DeepEqual(withoutStores(copied), withoutStores(aliased)) {
			t.Fatalf("aliasing parse differs:\n%+v\n%+v", copied, aliased)
		}
		if copied.VersionName() != aliased.VersionName() || copied.Resumed() != aliased.Resumed() {
			t.Fatal("version or resumption differ between the parses")
		}
		if copied.Server != nil && copied.Server.Alert != nil && copied.Server.Alert.String() == "" {
			t.Fatal("alert without a name")
		}
		// Released, its store serves the next parse, which must not see
		// what this one left there.
		aliased.Release()
		if again := parseFlow(client, server, client, server, nil, false, false); !reflect.DeepEqual(withoutStores(copied), withoutStores(again)) {
			t.Fatalf("parse into a released store differs:\n%+v\n%+v", copied, again)
		}
		want := separatePrints(copied)
		if got := copied.Prints(TransportTCP); got != want {
			t.Fatalf("Prints without cache\n got %+v\nwant %+v", got, want)
		}
		for range 2 { // a miss (usually), then a hit
			cached := parseFlow(client, server, client, server, fuzzCache, false, false)
			if got := cached.Prints(TransportTCP); got != want {
				t.Fatalf("Prints with cache\n got %+v\nwant %+v", got, want)
			}
		}
	})
}

// TestPrintsGREASEShareEntry: hellos that differ only in their GREASE
// values (which change per connection) share one cache entry.
func TestPrintsGREASEShareEntry(t *testing.T) {
	certs := NewCertCache(16)
	for _, g := range []uint16{0x0a0a, 0x1a1a, 0xeaea} {
		hello := clientHello(VersionTLS12, []uint16{g, 0x1301, 0xc02f}, [][]byte{
			ext(g), extSNI("a.example"), extGroups(g, 0x001d), extSigAlgs(0x0403), ext(ExtECPointFormats, vec(1, []byte{0})),
		})
		h := parseFlow(records(ContentHandshake, hello), nil, nil, nil, certs, false, false)
		if got, want := h.Prints(TransportTCP), separatePrints(h); got != want {
			t.Fatalf("GREASE %04x: got %+v, want %+v", g, got, want)
		}
	}
	if hits, misses := certs.PrintStats(); hits != 2 || misses != 1 {
		t.Fatalf("hits %d misses %d, want 2 and 1", hits, misses)
	}
}

// TestPrintsKeySeparates: hellos whose fingerprints differ get their own.
func TestPrintsKeySeparates(t *testing.T) {
	certs := NewCertCache(64)
	base := func(exts ...[]byte) []byte {
		return clientHello(VersionTLS12, []uint16{0x1301, 0xc02f}, append([][]byte{extSNI("a.example")}, exts...))
	}
	hellos := [][]byte{
		base(),
		base(extALPN("h2")),
		base(extALPN("http/1.1")),
		base(extALPN("h3")),
		base(extVersions(VersionTLS13)),
		base(extVersions(VersionTLS12)),
		base(extGroups(0x001d)),
		base(ext(ExtECPointFormats, vec(1, []byte{0}))),
		base(extSigAlgs(0x0403)),
		base(extGroups(0x001d), extSigAlgs(0x0403)),
		base(extSigAlgs(0x0403), extGroups(0x001d)),
		clientHello(VersionTLS12, []uint16{0xc02f, 0x1301}, [][]byte{extSNI("a.example")}),
		clientHello(VersionTLS11, []uint16{0x1301, 0xc02f}, [][]byte{extSNI("a.example")}),
		clientHello(VersionTLS12, []uint16{0x1301, 0xc02f}, nil),
	}
	for round := range 2 {
		for i, hello := range hellos {
			h := parseFlow(records(ContentHandshake, hello), nil, nil, nil, certs, false, false)
			for _, tr := range []Transport{TransportTCP, TransportQUIC} {
				got := h.Prints(tr)
				want := separatePrints(h)
				if tr == TransportQUIC {
					ja4 := h.Client.JA4(tr)
					want.JA4, want.JA4R = ja4.JA4, ja4.JA4R
				}
				if got != want {
					t.Fatalf("round %d hello %d %c: got %+v, want %+v", round, i, tr, got, want)
				}
			}
		}
	}
	if hits, misses := certs.PrintStats(); misses != uint64(2*len(hellos)) || hits != misses {
		t.Fatalf("hits %d misses %d, want %d each", hits, misses, 2*len(hellos))
	}
}

func TestMemoBound(t *testing.T) {
	m := newMemo[string, int](3)
	for i := range 10 {
		m.add(fmt.Sprint(i), i)
		m.add(fmt.Sprint(i), -1) // present: kept as it was
	}
	if len(m.m) != 3 {
		t.Fatalf("%d entries, want 3", len(m.m))
	}
	for i := 7; i < 10; i++ {
		if v, ok := m.m[fmt.Sprint(i)]; !ok || v != i {
			t.Fatalf("entry %d: %d %v", i, v, ok)
		}
	}
}

// TestPrintsShuffledExtensions: a client that shuffles its extensions
// (Chromium) shares one entry for what does not depend on the order, and
// the entry remembers no more than maxOrders orders.
func TestPrintsShuffledExtensions(t *testing.T) {
	certs := NewCertCache(16)
	exts := [][]byte{extSNI("a.example"), extALPN("h2"), extGroups(0x001d), extSigAlgs(0x0403), ext(ExtECPointFormats, vec(1, []byte{0}))}
	var perms [][][]byte
	var permute func(done, rest [][]byte)
	permute = func(done, rest [][]byte) {
		if len(rest) == 0 {
			perms = append(perms, done)
			return
		}
		for i := range rest {
			others := append(append([][]byte{}, rest[:i]...), rest[i+1:]...)
			permute(append(append([][]byte{}, done...), rest[i]), others)
		}
	}
	permute(nil, exts)
	ja4s := map[string]bool{}
	for pass := range 2 {
		for i, p := range perms {
			hello := clientHello(VersionTLS12, []uint16{0x1301, 0xc02f}, p)
			h := parseFlow(records(ContentHandshake, hello), nil, nil, nil, certs, false, false)
			if got, want := h.Prints(TransportTCP), separatePrints(h); got != want {
				t.Fatalf("pass %d order %d: got %+v, want %+v", pass, i, got, want)
			}
			ja4s[h.Prints(TransportTCP).JA4+h.Prints(TransportTCP).JA3N.Hash] = true
		}
	}
	if len(ja4s) != 1 {
		t.Fatalf("%d distinct JA4+JA3N over the orders, want 1", len(ja4s))
	}
	if n := len(certs.prints.clients.m); n != 1 {
		t.Fatalf("%d entries, want 1", n)
	}
	for _, e := range certs.prints.clients.m {
		if e.orders != maxOrders {
			t.Fatalf("%d orders remembered, want %d", e.orders, maxOrders)
		}
	}
	if n := len(certs.prints.exact.m); n != maxOrders {
		t.Fatalf("%d exact entries, want %d", n, maxOrders)
	}
	if hits, misses := certs.PrintStats(); hits != maxOrders || misses != uint64(2*len(perms)-maxOrders) {
		t.Fatalf("hits %d misses %d over %d orders twice", hits, misses, len(perms))
	}
}
