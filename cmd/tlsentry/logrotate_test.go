package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

const logrotatePath = "../../configs/logrotate"

// TestLogrotateFile rotates a running daemon's logs twice with the
// shipped logrotate file (its paths and its signal pointed at this test's
// daemon): each move keeps the lines written before it, the daemon
// reopens on SIGUSR1 and writes on to a new file, the first moved file is
// compressed at the second rotation, and every alert is in exactly one
// file.
func TestLogrotateFile(t *testing.T) {
	logrotate, err := lookSystemCommand("logrotate")
	if err != nil {
		t.Skip("logrotate not installed (Debian: apt-get install logrotate; .ci/run installs it)")
	}
	dir := t.TempDir()
	d := startFIFODaemon(t, dir, nil)
	conf := filepath.Join(dir, "logrotate.conf")
	writeLogrotateConf(t, conf, dir, d.cmd.Process.Pid)
	state := filepath.Join(dir, "logrotate.state")
	rotate := func() {
		t.Helper()
		out, err := exec.Command(logrotate, "-f", "-s", state, conf).CombinedOutput()
		if err != nil {
			t.Fatalf("logrotate: %v\n%s", err, out)
		}
	}

	start := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	d.feed(t, sshCapture(t, 5, 51, 80, start), 5)
	rotate()
	waitReopened(t, d, 1)
	time.Sleep(1100 * time.Millisecond) // the date format has whole seconds: the next name differs
	d.feed(t, sshCapture(t, 4, 52, 81, start.Add(time.Minute)), 9)
	rotate()
	waitReopened(t, d, 2)
	d.feed(t, sshCapture(t, 3, 53, 82, start.Add(2*time.Minute)), 12)
	d.stop(t)

	moved, err := filepath.Glob(filepath.Join(dir, "alerts.json-*"))
	if err != nil || len(moved) != 2 {
		t.Fatalf("moved alert logs %v (%v), want two", moved, err)
	}
	gz := 0
	for _, m := range moved {
		if strings.HasSuffix(m, ".gz") {
			gz++
		}
	}
	if gz != 1 {
		t.Errorf("moved alert logs %v: want the older compressed (delaycompress)", moved)
	}
	// Each step's alerts in its own file, in order, each once (a flow
	// may have several alert records: one per finding).
	all := firstPerFlow(logLines(t, dir, "alerts.json"))
	if len(all) != 12 {
		t.Fatalf("alerts on %d flows in all files, want 12", len(all))
	}
	nets := []string{"10.80.", "10.81.", "10.82."}
	for i, l := range all {
		want := nets[0]
		if i >= 5 {
			want = nets[1]
		}
		if i >= 9 {
			want = nets[2]
		}
		if !strings.Contains(l, `"src_ip":"`+want) {
			t.Errorf("alert %d is not from %s*: %.200s", i, want, l)
		}
	}
	if n := len(firstPerFlow(fileLines(t, filepath.Join(dir, "alerts.json")))); n != 3 {
		t.Errorf("alerts on %d flows in the current file, want the last 3", n)
	}
}

// firstPerFlow keeps the first alert line of each flow, in order.
func firstPerFlow(lines []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lines {
		var id struct {
			FlowID uint64 `json:"flow_id"`
		}
		json.Unmarshal([]byte(l), &id)
		if k := fmt.Sprint(id.FlowID); !seen[k] {
			seen[k] = true
			out = append(out, l)
		}
	}
	return out
}

// writeLogrotateConf writes the shipped logrotate file with its log paths
// in dir and its signal sent to pid; it fails if the file no longer has
// what it replaces.
func writeLogrotateConf(t *testing.T, path, dir string, pid int) {
	t.Helper()
	data, err := os.ReadFile(logrotatePath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	const logDir = "/var/log/tlsentry/"
	const signal = "systemctl kill --kill-whom=main --signal=USR1 tlsentry.service"
	copies := regexp.MustCompile(`(?m)^\s*copytruncate`).MatchString(text)
	if strings.Count(text, logDir) != 4 || strings.Count(text, signal) != 1 || copies {
		t.Fatalf("%s: expected four logs (alerts, flows, tls, the daemon's) in %s, one %q and no copytruncate", logrotatePath, logDir, signal)
	}
	text = strings.ReplaceAll(text, logDir, dir+"/")
	text = strings.Replace(text, signal, "kill -USR1 "+strconv.Itoa(pid), 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitReopened waits until the daemon has logged its n-th reopen.
func waitReopened(t *testing.T, d *fifoDaemon, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for strings.Count(d.logText(t), `"msg":"logs reopened"`) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not reopen its logs (%d times wanted):\n%s", n, d.logText(t))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
