package tlsparse

import (
	"crypto/tls"
	"math/big"
	"reflect"
	"testing"
	"unsafe"
)

// TestStoreSize: a flow's store stays within the 2 KiB allocation size
// class (a field added to a result type may push it to the next one).
func TestStoreSize(t *testing.T) {
	if n := unsafe.Sizeof(flowStore{}); n > 2048 {
		t.Fatalf("flowStore is %d bytes: shrink its arrays to stay within 2048", n)
	}
}

// TestReleaseReuse: handshakes parsed into released stores equal ones
// parsed into fresh stores, whatever the previous flow left there (a
// store's arrays keep old elements past what their lists use).
func TestReleaseReuse(t *testing.T) {
	testKeys(t)
	cert := makeCert(t, ecKey, pkixName("reuse.example"), big.NewInt(7), []string{"reuse.example"}, nil, nil)
	var flows [][2][]byte
	for _, cfgs := range [][2]*tls.Config{
		{{MaxVersion: tls.VersionTLS12, ServerName: "reuse.example", NextProtos: []string{"h2"}, InsecureSkipVerify: true},
			{Certificates: []tls.Certificate{cert.tls}, NextProtos: []string{"h2"}}},
		{{ServerName: "reuse.example", InsecureSkipVerify: true}, {Certificates: []tls.Certificate{cert.tls}}},
	} {
		h := capture(t, cfgs[0], cfgs[1])
		flows = append(flows, [2][]byte{h.client, h.server})
	}
	msgs, _ := craftedFlight(t)
	flows = append(flows,
		[2][]byte{records(ContentHandshake, greaseHello(), 5, 60), records(ContentHandshake, msgs, 10, 100)},
		[2][]byte{records(ContentHandshake, greaseHello())[:70], nil},
		[2][]byte{nil, records(ContentAlert, []byte{2, 40})},
	)
	var want []*Handshake // parsed once, never released
	for _, f := range flows {
		want = append(want, parseFlow(f[0], f[1], f[0], f[1], nil, false, false))
	}
	seen, reused := map[*flowStore]bool{}, 0
	for round := range 20 {
		for i, f := range flows {
			h := parseFlow(f[0], f[1], f[0], f[1], nil, false, false)
			if seen[h.store] {
				reused++
			}
			seen[h.store] = true
			if !reflect.DeepEqual(withoutStores(h), withoutStores(want[i])) {
				t.Fatalf("round %d flow %d: parse into a reused store differs", round, i)
			}
			h.Release()
		}
	}
	if reused == 0 {
		t.Fatal("no store was reused")
	}
	(&Handshake{}).Release() // not from a parse: nothing to do
}

// withoutStores is h with the pointers to its stores cleared, so that
// DeepEqual compares what the parse gave and not the spare room beside it.
func withoutStores(h *Handshake) Handshake {
	c := *h
	c.store = nil
	if c.Server != nil {
		f := *c.Server
		f.store = nil
		c.Server = &f
	}
	return c
}
