package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/sensor/eve"
)

// TestTrainScoreEval: a model trained on the sample scores it; eval
// reports; score without -model uses the embedded default.
func TestTrainScoreEval(t *testing.T) {
	dir := t.TempDir()
	modelPath := filepath.Join(dir, "m.model")
	out, stderr, err := runCmd(t, "train", "-r", sample, "-r", sample, "-r", sample, "-epochs", "1", "-batch", "8", "-trees", "10", "-alert-rate", "0.1", "-out", modelPath)
	if err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "threshold") || !strings.Contains(stderr, "epoch 1/1:") {
		t.Errorf("train output:\n%s\n%s", out, stderr)
	}
	for _, args := range [][]string{{"score", "-r", sample, "-model", modelPath}, {"score", "-r", sample}} {
		out, stderr, err = runCmd(t, args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr)
		}
		var lines []string // the flow records, without the alerts before them
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if strings.Contains(l, `"event_type":"flow"`) {
				lines = append(lines, l)
			}
		}
		if len(lines) != 7 {
			t.Fatalf("%v: %d flow records", args, len(lines))
		}
		for _, l := range lines {
			var rec struct {
				Detail eve.Detail `json:"tlsentry"`
			}
			if err := json.Unmarshal([]byte(l), &rec); err != nil || rec.Detail.Verdict == nil || rec.Detail.Score <= 0 || rec.Detail.Model == "" {
				t.Fatalf("%v: record without a verdict: %s", args, l)
			}
			if rec.Detail.Alert != (rec.Detail.Score >= rec.Detail.Threshold) {
				t.Fatalf("%v: alert does not follow the threshold: %s", args, l)
			}
		}
	}
	plot := filepath.Join(dir, "eval.png")
	out, stderr, err = runCmd(t, "eval", "-benign", sample, "-anomalous", sample, "-model", modelPath, "-plot", plot)
	if err != nil {
		t.Fatalf("eval: %v\n%s", err, stderr)
	}
	// The same flows on both sides: no separation at all.
	if !strings.Contains(out, "ROC AUC 0.5000") {
		t.Errorf("eval output:\n%s", out)
	}
	if st, err := os.Stat(plot); err != nil || st.Size() == 0 {
		t.Errorf("plot: %v", err)
	}
	bad := filepath.Join(dir, "bad.model")
	os.WriteFile(bad, []byte("not a model"), 0o644)
	if _, _, err := runCmd(t, "score", "-r", sample, "-model", bad); err == nil || !strings.Contains(err.Error(), "too short") {
		t.Errorf("corrupt model: %v", err)
	}
}

// TestTrainIsReproducible: the same captures and seed give the same model
// file, byte for byte (and so the same id).
func TestTrainIsReproducible(t *testing.T) {
	dir := t.TempDir()
	var files [2][]byte
	for i := range files {
		p := filepath.Join(dir, fmt.Sprintf("m%d.model", i))
		if _, stderr, err := runCmd(t, "train", "-r", sample, "-r", sample, "-r", sample, "-epochs", "1", "-batch", "8", "-trees", "10", "-seed", "5", "-out", p); err != nil {
			t.Fatalf("train: %v\n%s", err, stderr)
		}
		files[i], _ = os.ReadFile(p)
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Error("two trainings with the same seed wrote different model files")
	}
}

// TestTrainHybridReport: hybrid training reports what it learned and
// writes its training curve.
func TestTrainHybridReport(t *testing.T) {
	dir := t.TempDir()
	modelPath, curve := filepath.Join(dir, "h.model"), filepath.Join(dir, "curve.csv")
	out, stderr, err := runCmd(t, "train", "-model", "hybrid", "-r", sample, "-r", sample, "-r", sample, "-epochs", "2", "-batch", "8", "-trees", "10", "-out", modelPath, "-curve", curve)
	if err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	for _, want := range []string{"hybrid", "learned from 21 flows", "protocols: tls 12 (57%), binary 3 (14%)", "client stacks: ", "distinct JA4", "servers: "} {
		if !strings.Contains(out, want) {
			t.Errorf("train output lacks %q:\n%s", want, out)
		}
	}
	data, err := os.ReadFile(curve)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "epoch,train_loss,validation_loss") || !strings.HasPrefix(lines[2], "2,") {
		t.Errorf("curve:\n%s", data)
	}
	out, stderr, err = runCmd(t, "score", "-r", sample, "-model", modelPath)
	if err != nil || strings.Count(out, `"event_type":"flow"`) != 7 || strings.Count(out, `"model":"hybrid/`) < 7 {
		t.Errorf("score with the hybrid model: %v\n%s\n%s", err, out, stderr)
	}
}

// TestTrainMaskDefault: a hybrid model images its flows with the random
// handshake fields zeroed unless -mask=false says otherwise; the other
// kinds keep them unless -mask asks.
func TestTrainMaskDefault(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-model", "hybrid"}, model.LayoutPrefix1024Masked},
		{[]string{"-model", "hybrid", "-mask=false"}, model.LayoutPrefix1024},
		{[]string{"-model", "cnn-iforest"}, model.LayoutPrefix1024},
		{[]string{"-model", "cnn-iforest", "-mask"}, model.LayoutPrefix1024Masked},
	}
	for i, c := range cases {
		p := filepath.Join(dir, fmt.Sprintf("m%d.model", i))
		args := append([]string{"train", "-r", sample, "-r", sample, "-r", sample, "-epochs", "1", "-batch", "8", "-trees", "10", "-out", p}, c.args...)
		if _, stderr, err := runCmd(t, args...); err != nil {
			t.Fatalf("%v: %v\n%s", c.args, err, stderr)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := model.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		if f.Meta.Layout != c.want {
			t.Errorf("%v: layout %q, want %q", c.args, f.Meta.Layout, c.want)
		}
	}
}
