package pipeline_test

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/sensor/allowlist"
	"github.com/tlsentry/tlsentry/sensor/blocklist"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
)

// TestPipelineBlocklistAlertsAndCounts: at a threshold no flow reaches,
// the flows to names under a listed domain alert, their list's finding
// first, except one the allowlist allows; every hit is counted by kind.
func TestPipelineBlocklistAlertsAndCounts(t *testing.T) {
	m := trainedModel(t)
	path, flows, _ := mixedCapture(t, m, 24, 6)
	listed := map[string]bool{}
	var allowed string
	for _, f := range flows {
		if h := tlsparse.FromFlow(f, nil); h.Client != nil && strings.HasSuffix(h.Client.ServerName, ".example.com") {
			addr := f.Client.AddrPort().Addr().String()
			listed[addr] = true
			allowed = addr
		}
	}
	if len(listed) < 2 || len(listed) == 24 {
		t.Fatalf("%d of 24 benign flows under example.com: the test needs some of each", len(listed))
	}
	block := &blocklist.Lists{}
	block.Add(blocklist.KindSNI, []blocklist.Entry{{Value: "example.com", Reason: "Test C&C", File: "/etc/tlsentry/names.txt", Line: 3}})
	allow, err := allowlist.New(allowlist.Config{CIDRs: []string{allowed}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	alerts, alertPath := openLog(t, dir, "alerts.json")
	mets := newMetrics(t)
	d := pipelineConfig(m, mets, 1000)
	d.cfg.Policy.Block, d.cfg.Policy.Allow, d.logs.Alerts = block, allow, alerts
	p, _, err := d.build()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Run(context.Background(), &pipeline.FileInput{Paths: []string{path}}); err != nil {
		t.Fatal(err)
	}
	got := readEve(t, alertPath)
	firsts := map[string]bool{}
	for _, a := range got {
		src := a.Src(t).String()
		if !listed[src] || src == allowed {
			t.Errorf("alert on %s: not listed, or allowed", src)
		}
		if a.Alert.SignatureID != 8100032 {
			continue
		}
		firsts[src] = true
		if v := a.Verdict(); a.Alert.Severity != 1 || !v.Alert || v.Score >= 1000 ||
			!strings.HasSuffix(v.Reasons[0], "(under example.com) is on block list names.txt line 3: Test C&C") || v.Finding != v.Reasons[0] {
			t.Errorf("alert on %s: severity %d, verdict %+v", src, a.Alert.Severity, v)
		}
	}
	if len(firsts) != len(listed)-1 {
		t.Errorf("block list alerts on %d flows, want %d", len(firsts), len(listed)-1)
	}
	if n := testutil.ToFloat64(mets.BlocklistHits.WithLabelValues("sni")); n != float64(len(listed)) {
		t.Errorf("sni hits %v, want %d (allowed ones too)", n, len(listed))
	}
	if n := testutil.ToFloat64(mets.AlertsSuppressed.WithLabelValues(allowlist.ReasonCIDR)); n != 1 {
		t.Errorf("suppressed by cidr: %v, want 1", n)
	}
}
