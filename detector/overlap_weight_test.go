package detector

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// TestDefaultWeighsDecoyHello: a decoy ClientHello at the sequence
// numbers of the real one, sent before it (what the sensor keeps) or
// after it, as DPI-evasion tools send theirs with a TTL too short to
// reach the server, alerts with the default model and says why; so does
// one sent without the ACK flag, with sequence numbers 10,000 before the
// stream's start, or with a TCP MD5 signature option, which no endpoint
// takes and the sensor leaves out (the real hello is the flow's); the
// same connections without the decoy show nothing of the kind.
func TestDefaultWeighsDecoyHello(t *testing.T) {
	m, convs := defaultAndBenign(t)
	real, other := convs[:2], convs[2:]
	plain, err := labset.FlowsOf("benign", real, 5)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := m.NewScorer()
	for _, v := range []struct {
		after, noACK, signed bool
		back                 int
		check                string
	}{{false, false, false, 0, "tcp.overlap_different_data"}, {true, false, false, 0, "tcp.overlap_different_data"}, {false, true, false, 0, "tcp.data_without_ack"},
		{false, false, false, 10000, "tcp.data_before_start"}, {false, false, true, 0, "tcp.unexpected_signature"}} {
		after := v.after
		i := 0
		decoyed, err := labset.FlowsWith("decoy", real, 5, func(spec *capgen.FlowSpec) {
			spec.ClientImpair.Decoy = capgen.Decoy{Data: other[i][0].Data, After: v.after, NoACK: v.noACK, Back: v.back, Signed: v.signed}
			i++
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(decoyed) != len(plain) {
			t.Fatalf("%d flows with decoys, %d without", len(decoyed), len(plain))
		}
		for j := range plain {
			if plain[j].ClientConflict != nil {
				t.Fatalf("a conflict without a decoy: %+v", plain[j].ClientConflict)
			}
			switch {
			case v.noACK:
				if decoyed[j].ClientNoACK == nil || decoyed[j].ClientConflict != nil || !bytes.Equal(decoyed[j].ClientHandshake, plain[j].ClientHandshake) {
					t.Fatalf("without ACK: the decoy was not left out of the flow and reported")
				}
			case v.back > 0:
				if decoyed[j].ClientBeforeStart == nil || decoyed[j].ClientConflict != nil || !bytes.Equal(decoyed[j].ClientHandshake, plain[j].ClientHandshake) {
					t.Fatalf("before the start: the decoy was not left out of the flow and reported")
				}
			case v.signed:
				if decoyed[j].ClientSigned == nil || decoyed[j].ClientConflict != nil || !bytes.Equal(decoyed[j].ClientHandshake, plain[j].ClientHandshake) {
					t.Fatalf("signed: the decoy was not left out of the flow and reported")
				}
			case decoyed[j].ClientConflict == nil:
				t.Fatalf("after=%v: the decoy left no conflict", after)
			}
			in := []Input{{Flow: plain[j], TLS: tlsparse.FromFlow(plain[j], nil)}, {Flow: decoyed[j], TLS: tlsparse.FromFlow(decoyed[j], nil)}}
			scores := make([]float64, 2)
			s.Score(in, scores)
			if scores[1] < m.Threshold() || scores[1]-scores[0] < 8 {
				t.Errorf("after=%v: score %.2f with the decoy, %.2f without (threshold %.2f)", after, scores[1], scores[0], m.Threshold())
			}
			reasons := s.Explain(in[1])
			if !slices.ContainsFunc(reasons, func(r Reason) bool { return r.Feature == v.check && r.Weight >= 8 }) {
				t.Errorf("after=%v: the decoy is not among the reasons %+v", after, reasons)
			}
		}
	}
}

// defaultAndBenign is the default model and four conversations of the
// lab's benign clients, for tests that add an anomaly to benign flows.
func defaultAndBenign(t *testing.T) (*Model, []capgen.Conversation) {
	t.Helper()
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	convs, err := labset.Conversations(context.Background(), labset.Benign, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	return m, convs
}
