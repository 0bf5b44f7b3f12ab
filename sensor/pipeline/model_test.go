package pipeline_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tlsentry/tlsentry/detector"
	"github.com/tlsentry/tlsentry/detector/scoring"
	"github.com/tlsentry/tlsentry/internal/testkit"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
	"github.com/tlsentry/tlsentry/sensor/verdict"
)

// TestPipelineSetModel swaps the model (and its threshold) between two
// halves of the input while the pipeline runs: every flow line of the
// first half names the first model and its threshold, every one of the
// second half the new model and its threshold, and a model that cannot
// make a scorer is refused with nothing changed.
func TestPipelineSetModel(t *testing.T) {
	m := trainedModel(t)
	other, err := detector.Default()
	if err != nil {
		t.Fatal(err)
	}
	if other.Name() == m.Name() {
		t.Fatal("the test needs two different models")
	}
	first, flows, threshold := mixedCapture(t, m, 8, 4)
	second, more, _ := mixedCapture(t, m, 6, 2)
	flowLog, flowPath := openLog(t, t.TempDir(), "flows.json")
	alerts, _ := openLog(t, t.TempDir(), "alerts.json")
	d := pipelineConfig(m, newMetrics(t), threshold)
	d.cfg.Shards, d.logs.Flows, d.logs.Alerts = 1, flowLog, alerts
	p, _, err := d.build()
	if err != nil {
		t.Fatal(err)
	}
	const otherThreshold = 123.5
	src := sourceFunc(func(ctx context.Context, shards *pipeline.Shards) error {
		if err := (&pipeline.FileInput{Paths: []string{first}}).Run(ctx, shards); err != nil {
			return err
		}
		shards.Tables().Flush()
		shards.Done(0)
		// Written, not only scored: a flow is counted scored before its
		// batch is written, and with two workers a batch of the second
		// half could otherwise be written before the first half's last.
		testkit.WaitFor(t, "the first half's flow lines", func() bool { return len(readEve(t, flowPath)) == len(flows) })
		broken := pipeline.Model{Name: "broken", NewScorer: func() (scoring.Scorer, error) { return nil, errors.New("no weights") }}
		if err := p.SetModel(broken, verdict.Policy{Threshold: 1}); err == nil {
			t.Error("a model that makes no scorer was taken")
		}
		if p.ModelName() != m.Name() || p.Policy().Threshold != threshold {
			t.Errorf("after a refused model: %s at %v", p.ModelName(), p.Policy().Threshold)
		}
		if err := p.SetModel(pipeline.Model{Name: other.Name(), NewScorer: other.NewScorer}, verdict.Policy{Threshold: otherThreshold}); err != nil {
			return err
		}
		return (&pipeline.FileInput{Paths: []string{second}}).Run(ctx, shards)
	})
	if err := p.Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	got := readEve(t, flowPath)
	if len(got) != len(flows)+len(more) {
		t.Fatalf("%d flow lines, want %d", len(got), len(flows)+len(more))
	}
	for i, l := range got {
		wantModel, wantThreshold := m.Name(), threshold
		if i >= len(flows) {
			wantModel, wantThreshold = other.Name(), otherThreshold
		}
		if v := l.Verdict(); v == nil || v.Model != wantModel || v.Threshold != wantThreshold {
			t.Errorf("line %d: %+v, want model %s at %v", i, v, wantModel, wantThreshold)
		}
	}
	if p.ModelName() != other.Name() {
		t.Errorf("model in effect %q", p.ModelName())
	}
}
