package pipeline_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor/eve"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
)

// TestLogSinkIncludeHandshake: with IncludeHandshake, each flow line
// carries the raw object and turns back into the flow the sensor scored
// (what training from the stream needs); alert lines stay without it.
func TestLogSinkIncludeHandshake(t *testing.T) {
	m := trainedModel(t)
	path, flows, threshold := mixedCapture(t, m, 10, 4)
	alerts, alertPath := openLog(t, t.TempDir(), "alerts.json")
	flowLog, flowPath := openLog(t, t.TempDir(), "flows.json")
	d := pipelineConfig(m, nil, threshold)
	d.cfg.Shards, d.cfg.Ordered = 1, true
	d.logs = pipeline.LogOutputs{Alerts: alerts, Flows: flowLog, IncludePrefix: true, IncludeHandshake: true}
	p, _, err := d.build()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Run(context.Background(), &pipeline.FileInput{Paths: []string{path}}); err != nil {
		t.Fatal(err)
	}
	byID := map[uint64]*flow.Flow{}
	for _, f := range flows {
		byID[f.ID] = f
	}
	readEve(t, flowPath) // the raw object fits the schema
	n := 0
	for _, line := range readLines(t, flowPath) {
		got, err := eve.ParseFlowLine(line)
		if err != nil {
			t.Fatal(err)
		}
		want := byID[got.ID]
		if want == nil || !bytes.Equal(got.Prefix, want.Prefix) || !bytes.Equal(got.ClientHandshake, want.ClientHandshake) ||
			!bytes.Equal(got.ServerHandshake, want.ServerHandshake) || len(got.PrefixRuns) != len(want.PrefixRuns) {
			t.Fatalf("flow %d does not come back from its line", got.ID)
		}
		n++
	}
	if n != len(flows) {
		t.Errorf("%d flow lines, want %d", n, len(flows))
	}
	al := readLines(t, alertPath)
	if len(al) == 0 {
		t.Fatal("no alerts")
	}
	for _, line := range al {
		if _, err := eve.ParseFlowLine(line); err != eve.ErrNoRaw {
			t.Errorf("an alert line with the raw object (%v)", err)
		}
	}
}

func readLines(t *testing.T, path string) [][]byte {
	t.Helper()
	syncLog(t, path)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		out = append(out, bytes.Clone(sc.Bytes()))
	}
	return out
}
