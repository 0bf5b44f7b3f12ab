package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/internal/sharedpcaps"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/golden.txt and docs/checks.md with the outputs of this build")

const goldenFile = "testdata/golden.txt"

// goldenConfig runs the daemon over capture files with one table and one
// worker (so the log lines come in table order) on the usual TLS ports and
// the plain ports the shared captures use.
const goldenConfig = `sensor:
  name: golden
capture:
  workers: 1
  ports: [443, 8443, 465, 993, 995, 636, 853, 25, 587, 143, 110, 389, 5222, 80, 8080, 1194, 3389, 5061]
detector:
  scoring_workers: 1
output:
  alert_log: alerts.json
  flow_log: flows.json
  include_prefix: true
metrics:
  listen: ""
`

// TestGolden holds the output of flows, score and run -r on the sample and
// on every shared capture to the
// SHA-256 and line count recorded in testdata/golden.txt: a refactoring
// changes no byte. A change meant to change output updates the file
// (go test ./cmd/tlsentry -run TestGolden -update) and says why in its
// commit.
func TestGolden(t *testing.T) {
	want := readGolden(t)
	captures := []string{sample}
	if dir, ok := sharedpcaps.Dir(); ok {
		for _, c := range sharedpcaps.Captures(t) {
			captures = append(captures, filepath.Join(dir, c))
		}
	} else {
		t.Log("../shared/pcaps is absent: the sample alone is checked")
	}
	cfgDir := t.TempDir()
	cfg := filepath.Join(cfgDir, "tlsentry.yaml")
	if err := os.WriteFile(cfg, []byte(goldenConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	records := 0
	// Every record written here fits the eve schema.
	validate := func(what string, out []byte) {
		for _, line := range bytes.Split(bytes.TrimSpace(out), []byte{'\n'}) {
			if len(line) > 0 {
				records++
				if err := testkit.CheckEve(line); err != nil {
					t.Errorf("%s: %v", what, err)
				}
			}
		}
	}
	for _, c := range captures {
		name := goldenName(c)
		out, _, _ := runCmd(t, "flows", "-r", c)
		got["flows "+name] = digest([]byte(out))
		validate("flows "+name, []byte(out))
		out, _, _ = runCmd(t, "score", "-r", c)
		got["score "+name] = digest([]byte(out))
		validate("score "+name, []byte(out))
		os.Remove(filepath.Join(cfgDir, "alerts.json"))
		os.Remove(filepath.Join(cfgDir, "flows.json"))
		runCmd(t, "run", "-config", cfg, "-r", c)
		alerts, _ := os.ReadFile(filepath.Join(cfgDir, "alerts.json"))
		flows, _ := os.ReadFile(filepath.Join(cfgDir, "flows.json"))
		got["run-alerts "+name] = digest(alerts)
		got["run-flows "+name] = digest(flows)
		validate("run alerts "+name, alerts)
		validate("run flows "+name, flows)
	}
	t.Logf("%d records checked against the eve schema", records)
	if *updateGolden {
		writeGolden(t, got)
		return
	}
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	differ := 0
	for _, k := range keys {
		if w, ok := want[k]; !ok {
			t.Errorf("%s: not in %s (run with -update if the capture is new)", k, goldenFile)
		} else if w != got[k] {
			differ++
			t.Errorf("%s: output changed: %s, was %s", k, got[k], w)
		}
	}
	if differ > 0 {
		t.Logf("%d outputs changed; if the change is meant, go test ./cmd/tlsentry -run TestGolden -update", differ)
	}
}

// goldenName names a capture by its folder and file.
func goldenName(path string) string {
	return filepath.Base(filepath.Dir(path)) + "/" + filepath.Base(path)
}

// digest is the SHA-256 of an output and its number of lines.
func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return fmt.Sprintf("%s %d", hex.EncodeToString(sum[:]), bytes.Count(b, []byte{'\n'}))
}

func readGolden(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(goldenFile)
	if os.IsNotExist(err) && *updateGolden {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 4 {
			t.Fatalf("%s: bad line %q", goldenFile, line)
		}
		out[fields[0]+" "+fields[1]] = fields[2] + " " + fields[3]
	}
	return out
}

func writeGolden(t *testing.T, got map[string]string) {
	t.Helper()
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString("# Output of each command on each capture: SHA-256 and line count (TestGolden).\n")
	b.WriteString("# Regenerate with: go test ./cmd/tlsentry -run TestGolden -update\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %s\n", k, got[k])
	}
	if err := os.MkdirAll(filepath.Dir(goldenFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goldenFile, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
