package evidence

import (
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/internal/labset"
)

// TestSetDecisive: a violation of TLS's grammar the corpus never showed
// weighs the decisive bits and says it alerts on its own; one the corpus
// showed keeps its rate, as does every check that is no violation; 0
// gives the rates back.
func TestSetDecisive(t *testing.T) {
	malformed := inputs(t, labset.MalformedHello, 6)
	var bad *Input
	for _, x := range malformed {
		if x.TLS.ClientErr != nil && (x.TLS.Client == nil || !x.TLS.Client.Truncated) {
			bad = x
			break
		}
	}
	if bad == nil {
		t.Fatal("no lab hello that does not parse")
	}
	clean := Calibrate("benign", inputs(t, labset.Benign, 20), nil)
	rate := clean.Rates["hs.client_malformed"].Bits()
	clean.SetDecisive(40)
	f, ok := fired(clean, bad, "hs.client_malformed")
	if !ok || f.Bits != 40 || !strings.HasSuffix(f.Text, decidesTail) || clean.Score(bad) < 40 {
		t.Fatalf("a violation the corpus never showed: %+v (score %.2f)", f, clean.Score(bad))
	}
	noSNI := inputs(t, labset.OddCiphersNoSNI, 1)[0]
	if g, ok := fired(clean, noSNI, "sni.missing"); !ok || g.Bits >= 40 || strings.Contains(g.Text, decidesTail) {
		t.Errorf("no SNI, no violation: %+v", g)
	}
	clean.SetDecisive(0)
	if f, _ := fired(clean, bad, "hs.client_malformed"); f.Bits != rate || strings.Contains(f.Text, decidesTail) {
		t.Errorf("decisive 0: %+v, want the rate's %.2f bits", f, rate)
	}

	seen := Calibrate("benign with a malformed hello", append(inputs(t, labset.Benign, 20), bad), nil)
	seen.SetDecisive(40)
	if f, _ := fired(seen, bad, "hs.client_malformed"); f.Bits != seen.Rates["hs.client_malformed"].Bits() || f.Bits >= 40 {
		t.Errorf("a violation the corpus showed: %+v, want its rate %v", f, seen.Rates["hs.client_malformed"])
	}
	data, err := clean.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "decisive") {
		t.Error("the decisive bits are the model's threshold, not the table's: not stored")
	}
}
