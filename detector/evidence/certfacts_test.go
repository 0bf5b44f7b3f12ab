package evidence

import (
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/internal/labset"
)

// A flow's certificate findings are Explain's findings of the cert
// groups, found without the transcript; a flow that shows no certificate
// has none and allocates nothing.
func TestCertFindings(t *testing.T) {
	tab := Calibrate("b", inputs(t, labset.Benign, 8), nil)
	for _, kind := range []string{labset.SelfSigned, labset.Benign, labset.LegacyTLS10} {
		for _, in := range inputs(t, kind, 2) {
			got := tab.CertFindings(&Input{Flow: in.Flow, TLS: in.TLS})
			var want []Finding
			for _, f := range tab.Explain(in) {
				if strings.HasPrefix(f.Group, "cert.") {
					want = append(want, f)
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
			if kind == labset.SelfSigned && (len(got) == 0 || got[0].ID != "cert.self_signed") {
				t.Errorf("self-signed: %+v", got)
			}
		}
	}
	in := inputs(t, labset.NonTLSRandom, 1)[0]
	if f := tab.CertFindings(&Input{Flow: in.Flow, TLS: in.TLS}); f != nil {
		t.Errorf("no certificate: %+v", f)
	}
	x := &Input{Flow: in.Flow, TLS: in.TLS}
	if n := testing.AllocsPerRun(20, func() { tab.CertFindings(x) }); n != 0 {
		t.Errorf("%v allocations for a flow with no certificate", n)
	}
}
