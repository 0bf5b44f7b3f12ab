package verdict

import (
	"testing"

	"github.com/tlsentry/tlsentry/detector/scoring"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor/allowlist"
)

// TestJudgeExploits: a known exploit's finding makes a flow alert
// whatever its score, as a block list hit does, and the allowlist still
// wins over it.
func TestJudgeExploits(t *testing.T) {
	f := &flow.Flow{Client: flow.Endpoint{Addr: [16]byte{10: 0xff, 11: 0xff, 12: 10, 15: 1}}, Server: flow.Endpoint{Addr: [16]byte{10: 0xff, 11: 0xff, 12: 192, 13: 0, 14: 2, 15: 10}, Port: 443}}
	found := []scoring.Reason{{Layer: scoring.LayerExploit, Feature: "exploit.heartbleed.leak", Text: "exploit: a leak"}}
	p := &Policy{Threshold: 20}
	if v := p.Judge(5, f, nil, nil); v.Alert || v.Over() {
		t.Errorf("under the threshold, no exploit: %+v", v)
	}
	v := p.Judge(5, f, nil, found)
	if !v.Alert || len(v.Exploits) != 1 || v.Score != 5 {
		t.Errorf("under the threshold with an exploit: %+v, want an alert that keeps its score", v)
	}
	allow, err := allowlist.New(allowlist.Config{CIDRs: []string{"192.0.2.0/24"}})
	if err != nil {
		t.Fatal(err)
	}
	p.Allow = allow
	if v := p.Judge(5, f, nil, found); v.Alert || v.Suppressed == "" || len(v.Exploits) != 1 {
		t.Errorf("allowed flow with an exploit: %+v, want it suppressed, the finding kept", v)
	}
}
