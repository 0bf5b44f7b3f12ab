package evidence

import (
	"math"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/internal/labset"
)

// The certificate findings of a flow's leaf, for its server name and
// time, are Explain's findings of the cert groups, and CertBits their
// counted sum; a flow that shows no certificate has none, and CertBits
// allocates nothing.
func TestCertFindings(t *testing.T) {
	tab := Calibrate("b", inputs(t, labset.Benign, 8), nil)
	for _, kind := range []string{labset.SelfSigned, labset.Benign, labset.LegacyTLS10} {
		for _, in := range inputs(t, kind, 2) {
			leaf, sni := in.TLS.Server.Leaf, ""
			if in.TLS.Client != nil {
				sni = in.TLS.Client.ServerName
			}
			issuer, _ := in.TLS.Server.ChainIssuer()
			got := tab.CertFindings(leaf, issuer, sni, in.Flow.Start)
			var want []Finding
			sum := 0.0
			for _, f := range tab.Explain(in) {
				if strings.HasPrefix(f.Group, "cert.") {
					want = append(want, f)
					if f.Counted {
						sum += f.Bits
					}
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%s: cert findings %+v, want %+v", kind, got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("%s: finding %d: %+v, want %+v", kind, i, got[i], want[i])
				}
			}
			if b := tab.CertBits(&Input{Flow: in.Flow, TLS: in.TLS}); math.Abs(b-sum) > 1e-9 {
				t.Errorf("%s: CertBits %v, the findings count %v", kind, b, sum)
			}
			if kind == labset.SelfSigned && (len(got) == 0 || got[0].ID != "cert.self_signed") {
				t.Errorf("self-signed: %+v", got)
			}
		}
	}
	in := inputs(t, labset.NonTLSRandom, 1)[0]
	x := &Input{Flow: in.Flow, TLS: in.TLS}
	if b := tab.CertBits(x); b != 0 {
		t.Errorf("no certificate: %v bits", b)
	}
	signed := inputs(t, labset.SelfSigned, 1)[0]
	y := &Input{Flow: signed.Flow, TLS: signed.TLS}
	for _, x := range []*Input{x, y} {
		if n := testing.AllocsPerRun(20, func() { tab.CertBits(x) }); n != 0 {
			t.Errorf("CertBits: %v allocations", n)
		}
	}
	if f := tab.CertFindings(nil, nil, "", in.Flow.Start); f != nil {
		t.Errorf("no certificate: %+v", f)
	}
}
