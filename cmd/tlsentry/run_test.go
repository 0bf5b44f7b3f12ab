package main

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"

	"github.com/tlsentry/tlsentry/internal/labset"
	"github.com/tlsentry/tlsentry/internal/testkit"
	"github.com/tlsentry/tlsentry/sensor/config"
	"github.com/tlsentry/tlsentry/sensor/eve"
)

// TestRunOfflineEndToEnd runs the daemon over the sample and SSH-on-443
// captures: its alerts are exactly the flows `tlsentry score` flags with
// the same model and threshold, every SSH flow among them, written to the
// alert log and (in the foreground) to stdout; the flow log has every
// flow.
func TestRunOfflineEndToEnd(t *testing.T) {
	dir := t.TempDir()
	ssh, err := labset.WriteSet(context.Background(), dir, labset.NonTLSSSH, 6, 3)
	if err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dir, nil)
	out, errOut, err := runCmd(t, "run", "-config", cfg, "-r", sample, "-r", ssh, "-foreground")
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errOut)
	}

	scored, _, err := runCmd(t, "score", "-model", trainedModelFile(t), "-r", sample, "-r", ssh)
	if err != nil {
		t.Fatal(err)
	}
	scoreFile := filepath.Join(dir, "score.json")
	os.WriteFile(scoreFile, []byte(scored), 0o644)
	var want []string
	all := testkit.ReadEve(t, scoreFile)
	threshold, ssh443 := 0.0, 0
	for _, r := range all {
		if r.Anomaly != nil && r.Anomaly.Alert {
			want = append(want, r.Endpoint())
			threshold = r.Anomaly.Threshold
			if strings.HasPrefix(r.SrcIP, "10.") && !strings.HasPrefix(r.SrcIP, "10.0.0.") {
				ssh443++
			}
		}
	}
	if ssh443 != 6 {
		t.Fatalf("score flags %d of the 6 SSH flows: the test model should flag them all", ssh443)
	}

	alerts := testkit.ReadEve(t, filepath.Join(dir, "alerts.json"))
	var got []string
	for _, a := range alerts {
		got = append(got, a.Endpoint())
		if a.EventType != "alert" || a.Sensor != "e2e-sensor" || a.Anomaly == nil || !a.Anomaly.Alert ||
			a.Anomaly.Threshold != threshold || len(a.Prefix) != a.PrefixLen || a.PrefixLen == 0 {
			t.Errorf("alert %+v", a)
		}
		if _, err := eve.ParseTime(a.Timestamp); err != nil {
			t.Errorf("alert timestamp: %v", err)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("alerts for %v, score flags %v", got, want)
	}
	if n := strings.Count(out, `"event_type":"alert"`); n != len(alerts) || strings.Count(out, "\n") != len(alerts) {
		t.Errorf("stdout has %d alert lines of %d lines, the alert log %d", n, strings.Count(out, "\n"), len(alerts))
	}
	if flows := testkit.ReadEve(t, filepath.Join(dir, "flows.json")); len(flows) != len(all) {
		t.Errorf("%d flow log lines, score wrote %d records", len(flows), len(all))
	}
	logPath := filepath.Join(dir, "tlsentry.log")
	if !fileContains(logPath, `"msg":"started"`) || !fileContains(logPath, `"msg":"stopped"`) {
		data, _ := os.ReadFile(logPath)
		t.Errorf("daemon log:\n%s", data)
	}
}

func TestRunRefusesBadStart(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name     string
		sections map[string]string
		offline  bool
		want     string
	}{
		{"unknown key", map[string]string{"detector": "  treshold: 0.5\n"}, true, "detector.treshold: unknown key"},
		{"live without interfaces", nil, false, "capture.interfaces: live capture needs at least one interface"},
		{"missing model", map[string]string{"detector": "  model: nope.model\n"}, true, "detector.model: model: open"},
		{"alert rate the model lacks", map[string]string{"detector": "  model: " + trainedModelFile(t) + "\n  alert_rate: 0.005\n"}, true, "detector.alert_rate: 0.005: the model knows"},
		{"metrics port in use", map[string]string{"metrics": "  listen: " + busy.Addr().String() + "\n"}, true, "metrics.listen:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"run", "-config", writeConfig(t, t.TempDir(), tc.sections)}
			if tc.offline {
				args = append(args, "-r", sample)
			}
			_, _, err := runCmd(t, args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to say %q", err, tc.want)
			}
		})
	}
}

// TestDaemonReload drives reloads in process: hot keys apply at once, a
// bad file is refused and the running configuration stays, restart-only
// changes are reported, and the flow log comes and goes.
func TestDaemonReload(t *testing.T) {
	dir := t.TempDir()
	path := writeConfig(t, dir, map[string]string{
		"detector": "  model: " + trainedModelFile(t) + "\n  threshold: 0.6\n",
		"output":   "  alert_log: alerts.json\n  log: tlsentry.log\n",
	})
	d, err := startDaemon(daemonOptions{configPath: path, files: []string{sample}, stdout: os.Stdout, stderr: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	logPath := filepath.Join(dir, "tlsentry.log")
	if d.pipeline.Policy().Threshold != 0.6 || d.flowLog != nil {
		t.Fatalf("started with threshold %v, flow log %v", d.pipeline.Policy().Threshold, d.flowLog)
	}

	writeConfig(t, dir, map[string]string{
		"detector":  "  model: " + trainedModelFile(t) + "\n  threshold: 0.75\n",
		"allowlist": "  cidrs: [10.0.0.0/8]\n",
		"output":    "  alert_log: alerts.json\n  flow_log: flows.json\n  include_prefix: false\n  log: tlsentry.log\n",
	})
	d.reload()
	pol, out := d.pipeline.Policy(), d.logs.Outputs()
	if pol.Threshold != 0.75 || pol.Allow.Len() != 1 || out.IncludePrefix || d.flowLog == nil || out.Flows != d.flowLog {
		t.Errorf("after reload: %+v, outputs %+v, flow log %v", pol, out, d.flowLog)
	}
	if testutil.ToFloat64(d.metrics.Reloads) != 1 || testutil.ToFloat64(d.metrics.LastReloadSuccess) != 1 {
		t.Error("reload metrics not counted")
	}

	os.WriteFile(path, []byte("detector:\n  threshold: [0.1]\n"), 0o644)
	d.reload()
	if d.pipeline.Policy().Threshold != 0.75 || testutil.ToFloat64(d.metrics.ReloadFailures) != 1 || testutil.ToFloat64(d.metrics.LastReloadSuccess) != 0 {
		t.Errorf("a bad file changed the threshold to %v, or was not counted", d.pipeline.Policy().Threshold)
	}
	if !fileContains(logPath, "configuration reload refused") || !fileContains(logPath, "tlsentry.yaml:2: detector.threshold") {
		data, _ := os.ReadFile(logPath)
		t.Errorf("the refusal is not logged with its error:\n%s", data)
	}

	writeConfig(t, dir, map[string]string{
		"detector": "  model: " + trainedModelFile(t) + "\n  threshold: 0.6\n",
		"flow":     "  max_flows: 1000\n",
		"output":   "  alert_log: alerts.json\n  log: tlsentry.log\n",
	})
	d.reload()
	if d.flowLog != nil || d.logs.Outputs().Flows != nil {
		t.Error("the flow log stayed after output.flow_log was emptied")
	}
	if d.pipeline.Policy().Threshold != 0.6 || testutil.ToFloat64(d.metrics.LastReloadSuccess) != 1 {
		t.Errorf("threshold %v after going back", d.pipeline.Policy().Threshold)
	}
	if !fileContains(logPath, "take effect only after a restart") || !fileContains(logPath, `"keys":["flow.max_flows"]`) {
		data, _ := os.ReadFile(logPath)
		t.Errorf("the restart-only change is not logged:\n%s", data)
	}

	// SIGUSR1 after a logrotate: the daemon log starts a new file.
	os.Rename(logPath, logPath+".1")
	d.reopen()
	if !fileContains(logPath, "logs reopened") {
		t.Error("the daemon log was not reopened at its path")
	}
}

// TestRunSignalsOverFIFO runs the daemon in a child process on a capture
// streamed through a named pipe, so that signals arrive while it runs:
// SIGHUP with a new threshold changes the verdicts of the flows after it,
// a bad file on SIGHUP keeps the old configuration, SIGUSR1 reopens the
// alert log after it was moved away; at the end of the input the daemon
// scores everything and exits 0.
func TestRunSignalsOverFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "in.pcap")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("needs a named pipe: %v", err)
	}
	// One worker: the table sees each packet as soon as it is read.
	detector := "  model: " + trainedModelFile(t) + "\n  batch_timeout: 10ms\n"
	sections := map[string]string{"capture": "  workers: 1\n", "detector": detector + "  threshold: 1000\n"}
	cfg := writeConfig(t, dir, sections)
	logPath, alertPath, flowPath := filepath.Join(dir, "tlsentry.log"), filepath.Join(dir, "alerts.json"), filepath.Join(dir, "flows.json")

	start := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	first := sshCapture(t, 5, 41, 70, start)
	second := sshCapture(t, 4, 42, 71, start.Add(time.Minute))

	cmd := exec.Command(os.Args[0], "run", "-config", cfg, "-r", fifo)
	cmd.Env = append(os.Environ(), "TLSENTRY_TEST_MAIN=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	exited := testkit.Start(t, cmd, nil)
	in, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if _, err := in.Write(first); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, "the first flows scored", func() bool { return len(testkit.ReadEve(t, flowPath)) == 5 })
	if n := len(testkit.ReadEve(t, alertPath)); n != 0 {
		t.Fatalf("%d alerts at threshold 1000", n)
	}

	signal := func(sig syscall.Signal, logged string) {
		t.Helper()
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		testkit.WaitFor(t, "the daemon to log "+logged, func() bool { return fileContains(logPath, logged) })
	}
	sections["detector"] = detector + "  threshold: 0.01\n"
	writeConfig(t, dir, sections)
	signal(syscall.SIGHUP, `"msg":"configuration reloaded"`)
	os.WriteFile(cfg, []byte("detector:\n  threshold: 1000\n  bogus: 1\n"), 0o644)
	signal(syscall.SIGHUP, "configuration reload refused")
	os.Rename(alertPath, alertPath+".1")
	signal(syscall.SIGUSR1, `"msg":"logs reopened"`)

	if _, err := in.Write(second[24:]); err != nil { // the same stream: no second file header
		t.Fatal(err)
	}
	in.Close() // end of input: the daemon finishes and exits
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("daemon exited with %v\n%s", err, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("the daemon did not exit at the end of its input")
	}
	alerts := testkit.ReadEve(t, alertPath)
	if len(alerts) != 4 {
		t.Errorf("%d alerts after the reload, want the 4 later flows", len(alerts))
	}
	for _, a := range alerts {
		if !strings.HasPrefix(a.SrcIP, "10.71.") || a.Anomaly.Threshold != 0.01 {
			t.Errorf("alert for %s at threshold %v", a.SrcIP, a.Anomaly.Threshold)
		}
	}
	if n := len(testkit.ReadEve(t, flowPath)); n != 9 {
		t.Errorf("%d flow lines, want 9", n)
	}
	if fileContains(alertPath+".1", "event_type") {
		t.Error("alerts went to the moved-away file")
	}
}

// The reload refuses what the loaded model cannot resolve.
func TestDaemonReloadRefusesWhatTheModelCannotResolve(t *testing.T) {
	dir := t.TempDir()
	path := writeConfig(t, dir, nil)
	d, err := startDaemon(daemonOptions{configPath: path, files: []string{sample}, stdout: os.Stdout, stderr: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	writeConfig(t, dir, map[string]string{"detector": "  alert_rate: 0.005\n"})
	var cerr *config.Error
	if _, err := d.prepareReload(); !errors.As(err, &cerr) || cerr.Path != "detector.alert_rate" {
		t.Errorf("reload with an alert rate the model lacks: %v", err)
	}
}

// TestDaemonRefusedReloadChangesNothing: a reload whose last step fails
// (the new flow log cannot be opened) leaves every part as it was, though
// the steps before it (threshold, allowlist, log level, a new daemon log
// and a new alert log) would have worked, and leaves no file behind.
func TestDaemonRefusedReloadChangesNothing(t *testing.T) {
	dir := t.TempDir()
	path := writeConfig(t, dir, map[string]string{
		"detector": "  model: " + trainedModelFile(t) + "\n  threshold: 0.6\n",
		"output":   "  alert_log: alerts.json\n  log: tlsentry.log\n  log_level: info\n",
	})
	d, err := startDaemon(daemonOptions{configPath: path, files: []string{sample}, stdout: os.Stdout, stderr: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	before, beforeOut := d.pipeline.Policy(), d.logs.Outputs()
	running := d.holder.Current()
	blocked := filepath.Join(dir, "a-directory")
	if err := os.Mkdir(blocked, 0o755); err != nil {
		t.Fatal(err)
	}
	writeConfig(t, dir, map[string]string{
		"detector":  "  model: " + trainedModelFile(t) + "\n  threshold: 0.9\n",
		"allowlist": "  cidrs: [10.0.0.0/8]\n",
		"output":    "  alert_log: other-alerts.json\n  flow_log: a-directory\n  log: other.log\n  log_level: debug\n  include_prefix: false\n",
	})
	d.reload()
	after, afterOut := d.pipeline.Policy(), d.logs.Outputs()
	if after.Threshold != before.Threshold || after.Allow != before.Allow || afterOut != beforeOut || d.flowLog != nil {
		t.Errorf("a refused reload changed the policy or outputs: %+v %+v", after, afterOut)
	}
	if d.holder.Current() != running || d.log.level.Level() != zap.InfoLevel {
		t.Error("a refused reload changed the configuration in effect or the log level")
	}
	for _, name := range []string{"other-alerts.json", "other.log"} {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s was left behind by the refused reload (%v)", name, err)
		}
	}
	if testutil.ToFloat64(d.metrics.ReloadFailures) != 1 {
		t.Error("the refusal was not counted")
	}
	if r, ok := d.holder.LastReload(); !ok || r.Err == nil || !strings.Contains(r.Err.Error(), "output.flow_log") {
		t.Errorf("last reload %+v: want the flow log's error", r)
	}
	if !fileContains(filepath.Join(dir, "tlsentry.log"), "configuration reload refused") {
		t.Error("the refusal was not logged to the running daemon log")
	}
}
