package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tlsentry/tlsentry/internal/sharedpcaps"
)

// TestRunOfflineSameEveryRun: run -r gives the verdicts score gives, on
// every run, whatever capture.workers and scoring_workers say. Verdicts
// that take from earlier flows depend on the order flows are gathered in:
// suricata-verify's capture resumes three sessions whose server showed a
// certificate with evidence in an earlier full handshake, and those
// sessions lacked that fact on some runs when several tables and workers
// raced (2 to 5 alerts, against score's 5).
func TestRunOfflineSameEveryRun(t *testing.T) {
	dir, ok := sharedpcaps.Dir()
	if !ok {
		t.Skip("no ../shared/pcaps")
	}
	capture := filepath.Join(dir, "suricata-verify/ssl_version_negated_input.pcap")
	work := t.TempDir()
	score := filepath.Join(work, "score.json")
	if _, stderr, err := runCmd(t, "score", "-r", capture, "-w", score); err != nil {
		t.Fatalf("score: %v\n%s", err, stderr)
	}
	want := alertsOf(t, score)
	if len(want) == 0 {
		t.Fatal("score gave no alert")
	}
	for i := range 4 {
		run := filepath.Join(work, "run", string(rune('a'+i)))
		if err := os.MkdirAll(run, 0o755); err != nil {
			t.Fatal(err)
		}
		cfg := writeConfig(t, run, map[string]string{
			"capture":  "  workers: 4\n",
			"detector": "  scoring_workers: 4\n  batch_timeout: 1ms\n",
			"output":   "  alert_log: " + filepath.Join(run, "alerts.json") + "\n  log: " + filepath.Join(run, "tlsentry.log") + "\n",
		})
		if _, stderr, err := runCmd(t, "run", "-config", cfg, "-r", capture); err != nil {
			t.Fatalf("run: %v\n%s", err, stderr)
		}
		if got := alertsOf(t, filepath.Join(run, "alerts.json")); !slices.Equal(got, want) {
			t.Errorf("run %d: alerts %v, score's %v", i, got, want)
		}
	}
}

// alertsOf lists a log's alert records as flow id, signature id and
// score, sorted.
func alertsOf(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	for _, r := range readJSONLines(t, path) {
		if r["event_type"] != "alert" {
			continue
		}
		a := r["alert"].(map[string]any)
		te := r["tlsentry"].(map[string]any)
		out = append(out, fmt.Sprintf("%.0f %.0f %.4f", r["flow_id"], a["signature_id"], te["score"]))
	}
	slices.Sort(out)
	return out
}
