package detector

import (
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/tlsentry/tlsentry/detector/evidence"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// TestScoreTakesCertificateEvidence: a scorer that ran the certificate
// checks for the pipeline's gather step (CertificateEvidence, flows in
// scoring order, some skipped) scores and explains its flows as one that
// runs every check in Score, and takes the checks it ran rather than
// running them again.
func TestScoreTakesCertificateEvidence(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	var in []Input
	for _, kind := range []string{labset.Benign, labset.SelfSigned, labset.NonTLSSSH, labset.SelfSigned, labset.LegacyTLS10} {
		for _, f := range lab(t, kind, 3, 5) {
			in = append(in, Input{Flow: f, TLS: tlsparse.FromFlow(f, nil)})
		}
	}
	plain, _ := m.NewScorer()
	gathered, _ := m.NewScorer()
	w := gathered.(*hybridScorer)
	withLeaf, fires := 0, 0
	for i, x := range in {
		if i%4 == 3 { // a flow gather did not witness
			continue
		}
		if x.TLS.Server != nil && x.TLS.Server.Leaf != nil {
			withLeaf++
		}
		if w.CertificateEvidence(x) {
			fires++
		}
	}
	if withLeaf == 0 || fires == 0 || len(w.certs) != withLeaf {
		t.Fatalf("%d flows with a leaf (%d with evidence), %d checks kept: the lab gives the test nothing to take", withLeaf, fires, len(w.certs))
	}
	want, got := make([]float64, len(in)), make([]float64, len(in))
	plain.Score(in, want)
	gathered.Score(in, got)
	for i := range in {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Errorf("flow %d: %v after gather, %v without", i, got[i], want[i])
		}
		if g, p := gathered.Explain(in[i]), plain.Explain(in[i]); !reflect.DeepEqual(g, p) {
			t.Errorf("flow %d: reasons %+v after gather, %+v without", i, g, p)
		}
	}
	if w.certAt != 0 || len(w.certs) != 0 {
		t.Errorf("after Score: %d kept, at %d; want none", len(w.certs), w.certAt)
	}
	// Taken, not run again: a flow said to have failed every certificate
	// check scores more than it does.
	k := slices.IndexFunc(in, func(x Input) bool { return x.TLS.Server != nil && x.TLS.Server.Leaf != nil })
	w.CertificateEvidence(in[k])
	w.certs[0].fired = ^evidence.Fired(0)
	gathered.Score(in[k:k+1], got[:1])
	if got[0] <= want[k] {
		t.Errorf("flow %d said to fail every certificate check: %v, plain %v: Score ran the checks again", k, got[0], want[k])
	}
}
