package detector

import (
	"math"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/detector/scoring"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// asQUIC turns a lab TLS flow into the flow QUIC would have made of the
// same hellos: UDP, the handshake messages without their record headers
// (one record each in the lab), the prefix those messages.
func asQUIC(t *testing.T, f *flow.Flow) *flow.Flow {
	t.Helper()
	ch, sh := f.ClientHandshake[5:], f.ServerHandshake[5:]
	sh = sh[:4+(int(sh[1])<<16|int(sh[2])<<8|int(sh[3]))] // the ServerHello alone: the rest is encrypted in QUIC
	q := *f
	q.Transport = flow.TransportUDP
	q.ClientHandshake, q.ServerHandshake = ch, sh
	q.Prefix = append(append([]byte(nil), ch...), sh...)[:min(len(ch)+len(sh), flow.PrefixSize)]
	q.PrefixRuns = []flow.PrefixRun{{FromClient: true, Len: min(len(ch), len(q.Prefix))}, {Len: len(q.Prefix) - min(len(ch), len(q.Prefix))}}
	q.QUIC = &flow.QUIC{}
	return &q
}

// TestHybridTransport: a model trained on TCP flows finds a QUIC flow's
// transport new, one fact of the protocol group (its app_proto quic and
// its transport quic count once), and says so; the embedded default model
// (of the feature layout before the transport features, until it is
// rebuilt) still loads and scores TCP and QUIC flows.
func TestHybridTransport(t *testing.T) {
	tcp := lab(t, labset.Benign, 8, 9)
	quic := asQUIC(t, tcp[0])
	_, m := trainHybridLab(t)
	s, err := m.NewScorer()
	if err != nil {
		t.Fatal(err)
	}
	reasons := s.Explain(scoring.Input{Flow: quic})
	protocol := 0
	for _, r := range reasons {
		if strings.Contains(r.Text, "(protocol and framing)") {
			protocol++
			if r.Value != "quic" || (r.Feature != "transport" && r.Feature != "app_proto") {
				t.Errorf("protocol reason %+v", r)
			}
		}
	}
	if protocol != 1 {
		t.Errorf("%d protocol reasons for a QUIC flow to a model of TCP flows, want one: %+v", protocol, reasons)
	}

	def, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	ds, err := def.NewScorer()
	if err != nil {
		t.Fatal(err)
	}
	in := scoring.Inputs(append(tcp, quic))
	out := make([]float64, len(in))
	ds.Score(in, out)
	for i, x := range out {
		if math.IsNaN(x) || math.IsInf(x, 0) || x <= 0 {
			t.Errorf("default model: flow %d scores %v", i, x)
		}
	}
	_ = ds.Explain(in[len(in)-1])
}
