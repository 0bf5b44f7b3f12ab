package metrics

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

func TestModelMetrics(t *testing.T) {
	m, reg := newTest(t)
	names := []string{"tlsentry_model_info", "tlsentry_model_threshold"}
	if n, _ := testutil.GatherAndCount(reg, names...); n != 0 {
		t.Errorf("model metrics before a model was set: %d", n)
	}
	m.SetModel(ModelInfo{ID: "64f0fb5658e2", Name: "hybrid/64f0fb5658e2", Kind: "hybrid", Layout: "prefix1024-sendorder-v1"}, 17.81)
	want := `
# HELP tlsentry_model_info The model the sensor scores with (always 1): its file's id, its name in verdicts, its kind and prefix layout.
# TYPE tlsentry_model_info gauge
tlsentry_model_info{id="64f0fb5658e2",kind="hybrid",layout="prefix1024-sendorder-v1",name="hybrid/64f0fb5658e2"} 1
# HELP tlsentry_model_threshold The alert threshold in effect, in the model's own units (bits for a hybrid model).
# TYPE tlsentry_model_threshold gauge
tlsentry_model_threshold THRESHOLD
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(strings.Replace(want, "THRESHOLD", "17.81", 1)), names...); err != nil {
		t.Error(err)
	}
	// A reload that keeps the model changes the threshold only.
	m.SetThreshold(4.5)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(strings.Replace(want, "THRESHOLD", "4.5", 1)), names...); err != nil {
		t.Error(err)
	}
	// A new model replaces the old one's series: one info series at a time.
	m.SetModel(ModelInfo{ID: "0123", Name: "vae/0123", Kind: "vae", Layout: "prefix1024-sendorder-masked-v1"}, 0.02)
	if n, _ := testutil.GatherAndCount(reg, "tlsentry_model_info"); n != 1 {
		t.Errorf("%d model_info series after a model change, want 1", n)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "tlsentry_model_info" {
			labels := map[string]string{}
			for _, l := range mf.GetMetric()[0].GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["name"] != "vae/0123" || labels["kind"] != "vae" || labels["id"] != "0123" {
				t.Errorf("model_info labels %v after the change", labels)
			}
		}
	}
}

func TestActiveFlows(t *testing.T) {
	m, reg := newTest(t)
	if n, _ := testutil.GatherAndCount(reg, "tlsentry_flows_active"); n != 0 {
		t.Errorf("active flows before a source was set: %d", n)
	}
	var n atomic.Int64
	m.SetActiveFlows(func() int { return int(n.Add(5)) })
	for _, want := range []string{"5", "10"} { // read at each scrape
		exp := `
# HELP tlsentry_flows_active Connections the flow tables track now (collecting, handed out but still open, or just closed), as of each table's last tick (about a second).
# TYPE tlsentry_flows_active gauge
tlsentry_flows_active ` + want + "\n"
		if err := testutil.GatherAndCompare(reg, strings.NewReader(exp), "tlsentry_flows_active"); err != nil {
			t.Error(err)
		}
	}
	m.SetActiveFlows(nil)
	if n, _ := testutil.GatherAndCount(reg, "tlsentry_flows_active"); n != 0 {
		t.Errorf("active flows after the source was removed: %d", n)
	}
}

func TestFilterStats(t *testing.T) {
	m, reg := newTest(t)
	if n, _ := testutil.GatherAndCount(reg, "tlsentry_bpf_packets_total"); n != 0 {
		t.Errorf("filter metrics before a filter was set: %d", n)
	}
	m.SetFilterStats(func() (FilterStats, error) {
		return FilterStats{Passed: 120, NotWatched: 30, Fragment: 2, Malformed: 1, OverBudget: 900}, nil
	})
	want := `
# HELP tlsentry_bpf_packets_total Packets the eBPF socket filter looked at, by what it did with them: passed to the capture, or kept in the kernel (not_watched, fragment, malformed, over_budget).
# TYPE tlsentry_bpf_packets_total counter
tlsentry_bpf_packets_total{result="fragment"} 2
tlsentry_bpf_packets_total{result="malformed"} 1
tlsentry_bpf_packets_total{result="not_watched"} 30
tlsentry_bpf_packets_total{result="over_budget"} 900
tlsentry_bpf_packets_total{result="passed"} 120
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "tlsentry_bpf_packets_total"); err != nil {
		t.Error(err)
	}
	// A failed read fails the scrape, saying why, rather than report zeros.
	m.SetFilterStats(func() (FilterStats, error) { return FilterStats{}, errors.New("map gone") })
	if _, err := reg.Gather(); err == nil || !strings.Contains(err.Error(), "map gone") {
		t.Errorf("gather with a failing filter read: %v", err)
	}
	m.SetFilterStats(nil)
	if _, err := reg.Gather(); err != nil {
		t.Errorf("gather after the filter was removed: %v", err)
	}
}

func TestVerdictLatency(t *testing.T) {
	m, _ := newTest(t)
	m.VerdictLatency.Observe((150 * time.Millisecond).Seconds())
	m.VerdictLatency.Observe((2 * time.Millisecond).Seconds())
	var pb dto.Metric
	if err := m.VerdictLatency.(prometheus.Metric).Write(&pb); err != nil {
		t.Fatal(err)
	}
	h := pb.GetHistogram()
	if h.GetSampleCount() != 2 || len(h.GetBucket()) != 16 {
		t.Fatalf("%d samples in %d buckets", h.GetSampleCount(), len(h.GetBucket()))
	}
	for _, b := range h.GetBucket() {
		var want uint64
		switch le := b.GetUpperBound(); {
		case le >= 0.15:
			want = 2
		case le >= 0.002:
			want = 1
		}
		if b.GetCumulativeCount() != want {
			t.Errorf("bucket le=%g: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}
}
