package pipeline_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/labset"
	"github.com/tlsentry/tlsentry/sensor/metrics"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
	"github.com/tlsentry/tlsentry/sensor/verdict"
)

// gauge reads one unlabelled gauge, or the value of the only series of a
// labelled one, from reg; labels gets that series' labels.
func gauge(t *testing.T, reg prometheus.Gatherer, name string) (v float64, labels map[string]string, found bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		if len(mf.GetMetric()) != 1 {
			t.Fatalf("%s: %d series, want 1", name, len(mf.GetMetric()))
		}
		m := mf.GetMetric()[0]
		labels = map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		return m.GetGauge().GetValue(), labels, true
	}
	return 0, nil, false
}

// TestPipelineModelMetrics: the model and threshold in effect are in the
// metrics from New on, and follow SetPolicy and SetModel.
func TestPipelineModelMetrics(t *testing.T) {
	m := trainedModel(t)
	reg := prometheus.NewPedanticRegistry()
	mets, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	d := pipelineConfig(m, mets, 3.25)
	d.cfg.ModelInfo = metrics.ModelInfo{ID: m.ID(), Kind: m.Kind(), Layout: m.File.Meta.Layout}
	p, _, err := d.build()
	if err != nil {
		t.Fatal(err)
	}
	_, info, ok := gauge(t, reg, "tlsentry_model_info")
	want := map[string]string{"id": m.ID(), "name": m.Name(), "kind": m.Kind(), "layout": m.File.Meta.Layout}
	if !ok || !mapsEqual(info, want) {
		t.Errorf("model info %v (present %v), want %v", info, ok, want)
	}
	if v, _, _ := gauge(t, reg, "tlsentry_model_threshold"); v != 3.25 {
		t.Errorf("threshold %v, want 3.25", v)
	}
	if err := p.SetPolicy(verdict.Policy{Threshold: 7.5}); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := gauge(t, reg, "tlsentry_model_threshold"); v != 7.5 {
		t.Errorf("threshold after SetPolicy %v, want 7.5", v)
	}
	next := pipeline.Model{Name: "vae/feed", NewScorer: m.NewScorer, Info: metrics.ModelInfo{ID: "feed", Kind: "vae", Layout: "prefix1024-sendorder-masked-v1"}}
	if err := p.SetModel(next, verdict.Policy{Threshold: 0.125}); err != nil {
		t.Fatal(err)
	}
	_, info, _ = gauge(t, reg, "tlsentry_model_info")
	if want := map[string]string{"id": "feed", "name": "vae/feed", "kind": "vae", "layout": "prefix1024-sendorder-masked-v1"}; !mapsEqual(info, want) {
		t.Errorf("model info after SetModel %v, want %v", info, want)
	}
	if v, _, _ := gauge(t, reg, "tlsentry_model_threshold"); v != 0.125 {
		t.Errorf("threshold after SetModel %v, want 0.125", v)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestPipelineLiveMetrics runs a live-like pipeline (shedding allowed)
// whose source idles with connections open: tlsentry_flows_active counts
// what the table holds, and every verdict written has its latency
// observed; an offline pipeline observes none.
func TestPipelineLiveMetrics(t *testing.T) {
	m := trainedModel(t)
	path := writeCapture(t, t.TempDir(), "open.pcap",
		flowSet{kind: labset.Benign, n: 10, seed: 25, net: benignNet, close: capgen.CloseFIN},
		flowSet{kind: labset.NonTLSSSH, n: 7, seed: 26, net: sshNet, close: capgen.CloseNone})
	for _, live := range []bool{true, false} {
		reg := prometheus.NewPedanticRegistry()
		mets, err := metrics.New(reg)
		if err != nil {
			t.Fatal(err)
		}
		alerts, _ := openLog(t, t.TempDir(), "alerts.json")
		flowLog, _ := openLog(t, t.TempDir(), "flows.json")
		d := pipelineConfig(m, mets, 0.5)
		d.cfg.Shards, d.cfg.DropWhenBehind, d.cfg.QueueSize, d.logs.Alerts, d.logs.Flows = 1, live, 4096, alerts, flowLog
		p, _, err := d.build()
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		idle := make(chan struct{})
		src := sourceFunc(func(ctx context.Context, shards *pipeline.Shards) error {
			if err := (&pipeline.FileInput{Paths: []string{path}}).Run(ctx, shards); err != nil {
				return err
			}
			shards.Publish(0) // as a live worker's tick does
			close(idle)
			<-ctx.Done()
			return ctx.Err()
		})
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx, src) }()
		<-idle
		// The 7 open connections, and the 10 closed ones remembered for the
		// closed timeout so that their last ACKs open nothing.
		if v, _, ok := gauge(t, reg, "tlsentry_flows_active"); !ok || v != 17 {
			t.Errorf("live %v: tlsentry_flows_active %v (present %v) while idle, want 17", live, v, ok)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if v, _, _ := gauge(t, reg, "tlsentry_flows_active"); v != 0 {
			t.Errorf("live %v: tlsentry_flows_active %v after the tables were flushed, want 0", live, v)
		}
		var pb dto.Metric
		if err := mets.VerdictLatency.(prometheus.Metric).Write(&pb); err != nil {
			t.Fatal(err)
		}
		want := uint64(0)
		if live {
			want = p.Stats().Scored
		}
		h := pb.GetHistogram()
		if h.GetSampleCount() != want || (live && want != 17) {
			t.Errorf("live %v: %d verdict latencies for %d flows scored, want %d", live, h.GetSampleCount(), p.Stats().Scored, want)
		}
		// Each is wall time from hand-out to written: positive, and far
		// below the test's own length.
		if live && (h.GetSampleSum() <= 0 || h.GetSampleSum()/float64(want) > 60) {
			t.Errorf("verdict latencies sum to %v s over %d flows", h.GetSampleSum(), want)
		}
		if n := testutil.CollectAndCount(mets.VerdictLatency); n != 1 {
			t.Errorf("%d verdict latency histograms", n)
		}
	}
}
