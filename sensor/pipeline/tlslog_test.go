package pipeline_test

import (
	"context"
	"testing"

	"github.com/tlsentry/tlsentry/detector"
	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/labset"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
	"github.com/tlsentry/tlsentry/sensor/verdict"
)

// TestLogSinkTLSLogHasShedFlows: a live pipeline whose scorer is stuck
// sheds most TLS flows; each still has its tls record (a TLS session,
// scored or not), and the SSH flows none.
func TestLogSinkTLSLogHasShedFlows(t *testing.T) {
	m := trainedModel(t)
	path := writeCapture(t, t.TempDir(), "mixed.pcap",
		flowSet{kind: labset.Benign, n: 40, seed: 31, net: benignNet, close: capgen.CloseFIN},
		flowSet{kind: labset.NonTLSSSH, n: 5, seed: 32, net: sshNet, close: capgen.CloseFIN})
	alerts, _ := openLog(t, t.TempDir(), "alerts.json")
	tlsLog, tlsPath := openLog(t, t.TempDir(), "tls.json")
	gate := make(chan struct{})
	d := pipelineConfig(m, newMetrics(t), verdict.MaxThreshold)
	d.cfg.Shards, d.cfg.QueueSize, d.cfg.BatchSize, d.cfg.Workers = 1, 2, 1, 1
	d.cfg.DropWhenBehind, d.logs.Alerts, d.logs.TLS = true, alerts, tlsLog
	d.cfg.NewScorer = func() (detector.Scorer, error) {
		s, err := m.NewScorer()
		return gatedScorer{Scorer: s, gate: gate}, err
	}
	p, sink, err := d.build()
	if err != nil {
		t.Fatal(err)
	}
	src := sourceFunc(func(ctx context.Context, shards *pipeline.Shards) error {
		defer close(gate)
		return (&pipeline.FileInput{Paths: []string{path}}).Run(ctx, shards)
	})
	if err := p.Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	st := p.Stats()
	if st.Dropped == 0 {
		t.Fatalf("stats %+v: want flows shed", st)
	}
	recs := readEve(t, tlsPath) // each checked against the schema
	seen := map[uint64]bool{}
	for _, r := range recs {
		if r.EventType != "tls" || r.TLS == nil || r.Host != "test-sensor" || r.Src(t).As4()[1] != benignNet || seen[r.FlowID] {
			t.Errorf("tls record %+v", r)
		}
		seen[r.FlowID] = true
	}
	if len(recs) != 40 || sink.Stats().TLSLines != 40 {
		t.Errorf("%d tls records (%d counted), want one per TLS flow (40), %d of them shed", len(recs), sink.Stats().TLSLines, st.Dropped)
	}
}
