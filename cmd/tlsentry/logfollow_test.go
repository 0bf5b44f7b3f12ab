package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/testkit"
)

// TestRunLogDirectoryRemoved: the alert log's directory removed under a
// running daemon; SIGUSR1 makes the directory and the file again (it
// used to go on writing into the deleted file: alerts lost, counted as
// written); then the file removed without a signal is found by the next
// alert a second later, opened again by name, logged and counted.
func TestRunLogDirectoryRemoved(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	alerts := filepath.Join(logs, "alerts.json")
	d := startFIFODaemon(t, dir, map[string]string{
		"output": "  alert_log: " + alerts + "\n  flow_log: flows.json\n  log: tlsentry.log\n  log_level: debug\n",
	})
	start := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	flowsIn := func(path string) int {
		t.Helper()
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return len(firstPerFlow(fileLines(t, path)))
	}

	d.feed(t, sshCapture(t, 3, 61, 90, start), 3)
	if n := flowsIn(alerts); n != 3 {
		t.Fatalf("alerts on %d flows, want 3", n)
	}
	if err := os.RemoveAll(logs); err != nil {
		t.Fatal(err)
	}
	d.signal(t, syscall.SIGUSR1, `"msg":"logs reopened"`)
	d.feed(t, sshCapture(t, 2, 62, 91, start.Add(time.Minute)), 5)
	// The flow log and the alert log are two writers: the flows' records
	// may be in before their alerts (a loaded machine showed it).
	testkit.WaitFor(t, "the alerts of the 2 flows fed after SIGUSR1", func() bool {
		_, err := os.Stat(alerts)
		return err == nil && flowsIn(alerts) >= 2
	})
	if n := flowsIn(alerts); n != 2 {
		t.Errorf("after SIGUSR1 the new alert log has alerts on %d flows, want 2", n)
	}

	if err := os.Remove(alerts); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // the path is compared with the open file once a second
	d.feed(t, sshCapture(t, 4, 63, 92, start.Add(2*time.Minute)), 9)
	d.stop(t)
	if n := flowsIn(alerts); n != 4 {
		t.Errorf("after the removal the alert log has alerts on %d flows, want 4", n)
	}
	text := d.logText(t)
	if !strings.Contains(text, `"msg":"log file moved or removed without SIGUSR1: opened again by name","log":"alerts"`) {
		t.Errorf("the daemon's log does not say the alert log was opened again:\n%s", text)
	}
	if !strings.Contains(text, `"write_errors":0`) {
		t.Errorf("write errors in the stop line:\n%s", text)
	}
}
