package detector

import (
	"context"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/detector/dataset"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// TestDefaultOnSample holds the README's first command to what it
// promises: with the embedded default model, the sample's HTTP, SSH and
// random-bytes flows on port 443 alert, its TLS 1.3 flows do not, and its
// TLS 1.0 flow to a self-signed server gets the evidence's reasons.
func TestDefaultOnSample(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	set, err := dataset.Load(context.Background(), []string{"../testdata/sample.pcap"}, flow.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.NewScorer()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, x := range set {
		if len(x.Flow.Prefix) == 0 {
			continue
		}
		in := Input{Flow: x.Flow, TLS: tlsparse.FromFlow(x.Flow, nil)}
		out := make([]float64, 1)
		s.Score([]Input{in}, out)
		alert := out[0] >= m.Threshold()
		kind := in.TLS.AppProto
		if kind == tlsparse.SniffTLS {
			kind = tlsparse.VersionName(in.TLS.Version())
		}
		seen[kind] = true
		reasons := s.Explain(in)
		switch kind {
		case "http", "ssh", "binary":
			if !alert {
				t.Errorf("%s flow: score %.2f below the threshold %.2f; reasons %+v", kind, out[0], m.Threshold(), reasons)
			}
			if len(reasons) == 0 || reasons[0].Layer != "evidence" || !strings.Contains(reasons[0].Text, "not TLS, on port 443") {
				t.Errorf("%s flow: first reason %+v", kind, reasons)
			}
		case "TLS 1.3":
			if alert {
				t.Errorf("TLS 1.3 flow alerts: score %.2f, threshold %.2f; reasons %+v", out[0], m.Threshold(), reasons)
			}
		case "TLSv1":
			var ids []string
			for _, r := range reasons {
				ids = append(ids, r.Feature)
			}
			got := strings.Join(ids, " ")
			if !strings.Contains(got, "version.tls10") || !strings.Contains(got, "cert.self_signed") {
				t.Errorf("TLS 1.0 self-signed flow: reasons %s", got)
			}
		}
	}
	for _, k := range []string{"http", "ssh", "binary", "TLS 1.3", "TLSv1"} {
		if !seen[k] {
			t.Errorf("the sample has no %s flow", k)
		}
	}
}
