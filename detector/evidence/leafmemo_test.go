package evidence

import (
	"math/bits"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// A LeafMemo changes no result: the same certificate shown for other
// server names and at other times (checks that read the flow, not the
// leaf alone) fires what it fires without the memo, in CertFired and in
// CertFindings, whether the memo knew the certificate or not.
func TestLeafMemoSameResults(t *testing.T) {
	tab := Calibrate("b", inputs(t, labset.Benign, 8), nil)
	memo := NewLeafMemo(64)
	var hits int
	for _, kind := range []string{labset.SelfSigned, labset.Benign, labset.LegacyTLS10} {
		for _, in := range inputs(t, kind, 2) {
			if in.TLS.Server == nil || in.TLS.Server.Leaf == nil {
				continue
			}
			leaf := in.TLS.Server.Leaf
			issuer, _ := in.TLS.Server.ChainIssuer()
			for _, sni := range []string{"", "www.example.com", "unrelated.test", "localhost"} {
				for _, at := range []time.Time{in.Flow.Start, leaf.NotAfter.Add(time.Hour), leaf.NotBefore.Add(-time.Hour)} {
					x := variant(in, sni, at)
					if _, known := memo.fired[leaf.SHA256Fingerprint]; known {
						hits++
					}
					bits, fired := tab.CertFiredMemo(x, memo)
					wantBits, wantFired := tab.CertFired(x)
					if bits != wantBits || fired != wantFired {
						t.Errorf("%s, sni %q, at %v: memo %v bits %b, without %v bits %b", kind, sni, at, bits, fired, wantBits, wantFired)
					}
					got := tab.CertFindingsMemo(leaf, issuer, sni, at, memo)
					want := tab.CertFindings(leaf, issuer, sni, at)
					if len(got) != len(want) {
						t.Fatalf("%s, sni %q, at %v: findings %+v, want %+v", kind, sni, at, got, want)
					}
					for i := range got {
						if got[i] != want[i] {
							t.Errorf("%s, sni %q, at %v: finding %d %+v, want %+v", kind, sni, at, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
	if hits == 0 {
		t.Error("the memo never knew a certificate: nothing was compared")
	}
}

// variant is in's handshake asking for server name sni, starting at at.
func variant(in *Input, sni string, at time.Time) *Input {
	h := *in.TLS
	if h.Client != nil {
		ch := *h.Client
		ch.ServerName = sni
		h.Client = &ch
	}
	f := *in.Flow
	f.Start = at
	return &Input{Flow: &f, TLS: &h, T: in.T}
}

// The memo holds at most its size of certificates and forgets what
// another table's checks said.
func TestLeafMemoBounds(t *testing.T) {
	tab := Calibrate("b", inputs(t, labset.Benign, 8), nil)
	other := Calibrate("b", inputs(t, labset.Benign, 4), nil)
	memo := NewLeafMemo(2)
	for i := range 5 {
		c := &tlsparse.Certificate{SHA256Fingerprint: string(rune('a' + i)), Subject: "CN=localhost", Issuer: "CN=localhost"}
		x := &Input{Flow: &flow.Flow{}, TLS: &tlsparse.Handshake{Server: &tlsparse.ServerFlight{Leaf: c}}}
		tab.CertFiredMemo(x, memo)
		if n := len(memo.fired); n > 2 {
			t.Fatalf("after %d certificates the memo holds %d, bound 2", i+1, n)
		}
	}
	c := &tlsparse.Certificate{SHA256Fingerprint: "z"}
	x := &Input{Flow: &flow.Flow{}, TLS: &tlsparse.Handshake{Server: &tlsparse.ServerFlight{Leaf: c}}}
	tab.CertFiredMemo(x, memo)
	other.CertFiredMemo(x, memo)
	if memo.table != other || len(memo.fired) != 1 {
		t.Errorf("after another table: table %p (want %p), %d certificates (want 1)", memo.table, other, len(memo.fired))
	}
	if leafChecks&certMask != leafChecks || leafChecks == 0 {
		t.Errorf("leaf checks %b are not certificate checks %b", leafChecks, certMask)
	}
	// Every id the memo names is a check (a renamed one would drop out).
	if n := bits.OnesCount64(uint64(leafChecks)); n != 5 {
		t.Errorf("%d leaf checks, want the 5 named", n)
	}
}
