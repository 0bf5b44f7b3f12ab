package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	var all []testkit.EveLine // score's flow records
	threshold, ssh443 := 0.0, 0
	for _, r := range testkit.ReadEve(t, scoreFile) {
		switch r.EventType {
		case "alert": // the same alert records as run writes
			want = append(want, r.Endpoint())
		case "flow":
			all = append(all, r)
			if r.Verdict() != nil && r.Verdict().Alert {
				threshold = r.Verdict().Threshold
				if strings.HasPrefix(r.SrcIP, "10.") && !strings.HasPrefix(r.SrcIP, "10.0.0.") {
					ssh443++
				}
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
		if a.EventType != "alert" || a.Host != "e2e-sensor" || a.Verdict() == nil || !a.Verdict().Alert ||
			a.Verdict().Threshold != threshold || len(a.Detail.Prefix) != a.Detail.PrefixLen || a.Detail.PrefixLen == 0 {
			t.Errorf("alert %+v", a)
		}
		if al := a.Alert; al == nil || al.SignatureID < 8100000 || al.Severity < 1 || al.Severity > 3 || al.Signature == "" ||
			al.Action != "allowed" || a.Verdict().Finding == "" || !strings.HasPrefix(a.CommunityID, "1:") || !a.Flow.Alerted {
			t.Errorf("alert object, finding, community_id or flow.alerted: %+v %+v", al, a)
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
		status   int // a refused configuration: 78, which systemd does not restart on
	}{
		{"unknown key", map[string]string{"detector": "  treshold: 0.5\n"}, true, "detector.treshold: unknown key", exitConfig},
		{"live without interfaces", nil, false, "capture.interfaces: live capture needs at least one interface", exitConfig},
		{"missing model", map[string]string{"detector": "  model: nope.model\n"}, true, "detector.model: model: stat", exitConfig},
		{"alert rate the model lacks", map[string]string{"detector": "  model: " + trainedModelFile(t) + "\n  alert_rate: 0.005\n"}, true, "detector.alert_rate: 0.005: the model knows", exitConfig},
		{"metrics port in use", map[string]string{"metrics": "  listen: " + busy.Addr().String() + "\n"}, true, "metrics.listen:", 1},
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
			if got := exitStatus(err); got != tc.status {
				t.Errorf("exit status %d, want %d", got, tc.status)
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
	flowsAlerted := map[string]bool{}
	for _, a := range alerts {
		flowsAlerted[a.Endpoint()] = true
	}
	if len(flowsAlerted) != 4 {
		t.Errorf("alerts on %d flows after the reload, want the 4 later flows", len(flowsAlerted))
	}
	for _, a := range alerts {
		if !strings.HasPrefix(a.SrcIP, "10.71.") || a.Verdict().Threshold != 0.01 {
			t.Errorf("alert for %s at threshold %v", a.SrcIP, a.Verdict().Threshold)
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

// TestRunRateLimitsABurst replays 1,000 identical anomalous connections
// (SSH on 443, one client, one server) with a limit of 3 alerts per
// signature and host pair per hour: per signature, at most 3 alert
// records, and those written plus those held back add up to what the
// same run writes without a limit (1,000 not-TLS alerts and the learned
// findings some of the flows have).
func TestRunRateLimitsABurst(t *testing.T) {
	dir := t.TempDir()
	capPath := burstCapture(t, dir, 1000, 50*time.Millisecond)
	// Without a limit, every finding of every flow is an alert record.
	unlimited := writeConfig(t, dir, map[string]string{"detector": "  model: " + trainedModelFile(t) + "\n  threshold: 1\n"})
	if _, errOut, err := runCmd(t, "run", "-config", unlimited, "-r", capPath); err != nil {
		t.Fatalf("run: %v\n%s", err, errOut)
	}
	all := map[int]int{}
	for _, a := range testkit.ReadEve(t, filepath.Join(dir, "alerts.json")) {
		all[a.Alert.SignatureID]++
	}
	os.Remove(filepath.Join(dir, "alerts.json"))
	os.Remove(filepath.Join(dir, "tlsentry.log"))
	cfg := writeConfig(t, dir, map[string]string{
		"detector": "  model: " + trainedModelFile(t) + "\n  threshold: 1\n",
		"alerts":   "  rate_limit:\n    - {signature_id: 0, track: by_both, count: 3, window: 1h}\n",
	})
	if _, errOut, err := runCmd(t, "run", "-config", cfg, "-r", capPath); err != nil {
		t.Fatalf("run: %v\n%s", err, errOut)
	}
	written := map[int]int{}
	said := uint64(0)
	for _, a := range testkit.ReadEve(t, filepath.Join(dir, "alerts.json")) {
		written[a.Alert.SignatureID]++
		said += a.Verdict().AlertsSuppressed
	}
	if all[8100001] != 1000 {
		t.Fatalf("%d of the 1,000 SSH flows have a not-TLS alert without a limit: want all", all[8100001])
	}
	total, want := 0, 0
	for sig, n := range all {
		if written[sig] > 3 {
			t.Errorf("signature %d: %d alerts, want at most 3", sig, written[sig])
		}
		total += written[sig]
		want += n
	}
	var stopped struct {
		Held uint64 `json:"alerts_rate_limited"`
	}
	for _, line := range strings.Split(readFile(t, filepath.Join(dir, "tlsentry.log")), "\n") {
		if strings.Contains(line, `"msg":"stopped"`) {
			json.Unmarshal([]byte(line), &stopped)
		}
	}
	if total+int(stopped.Held) != want || said > stopped.Held {
		t.Errorf("%d alerts written + %d held back = %d, want the %d alert records of the run without a limit; %d said in alerts",
			total, stopped.Held, total+int(stopped.Held), want, said)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestRunWritesAlertPcaps: each alert names a pcap of its flow that
// Wireshark opens and that holds the flow's first bytes (the ClientHello
// for TLS), and the folder stays within its bound.
func TestRunWritesAlertPcaps(t *testing.T) {
	dir := t.TempDir()
	ssh, err := labset.WriteSet(context.Background(), dir, labset.NonTLSSSH, 4, 5)
	if err != nil {
		t.Fatal(err)
	}
	pcaps := filepath.Join(dir, "pcap")
	cfg := writeConfig(t, dir, map[string]string{
		"detector": "  model: " + trainedModelFile(t) + "\n  threshold: 0.001\n", // every flow alerts
		"output":   "  alert_log: alerts.json\n  log: tlsentry.log\n  alert_pcap_dir: pcap\n  alert_pcap_max_mb: 1\n",
	})
	if _, errOut, err := runCmd(t, "run", "-config", cfg, "-r", sample, "-r", ssh); err != nil {
		t.Fatalf("run: %v\n%s", err, errOut)
	}
	alerts := testkit.ReadEve(t, filepath.Join(dir, "alerts.json"))
	if len(alerts) < 11 {
		t.Fatalf("%d alerts: every flow of the sample and the SSH capture should alert", len(alerts))
	}
	_, tshark := exec.LookPath("tshark")
	for _, a := range alerts {
		p := a.Verdict().Pcap
		if filepath.Dir(p) != pcaps {
			t.Fatalf("alert for %s names pcap %q", a.Endpoint(), p)
		}
		if tshark != nil {
			continue
		}
		out, err := exec.Command("tshark", "-r", p, "-T", "fields", "-e", "tcp.payload").Output()
		if err != nil {
			t.Fatalf("tshark -r %s: %v", p, err)
		}
		first := strings.SplitN(strings.TrimSpace(string(out)), "\n", 2)[0]
		for first == "" && len(out) > 0 { // the handshake's segments carry no payload
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			for _, l := range lines {
				if l = strings.TrimSpace(l); l != "" {
					first = l
					break
				}
			}
			break
		}
		if want := fmt.Sprintf("%x", a.Detail.Prefix); first == "" || !strings.HasPrefix(want, strings.ReplaceAll(first, ":", "")) {
			t.Errorf("%s: first payload %q, the alert's prefix starts %.40s", p, first, want)
		}
		if a.AppProto == "tls" {
			hello, _ := exec.Command("tshark", "-r", p, "-Y", "tls.handshake.type==1", "-T", "fields", "-e", "frame.number").Output()
			if strings.TrimSpace(string(hello)) == "" {
				t.Errorf("%s: no ClientHello in the pcap of a TLS flow", p)
			}
		}
	}
	var total int64
	ents, _ := os.ReadDir(pcaps)
	for _, e := range ents {
		info, _ := e.Info()
		total += info.Size()
	}
	if total > 1<<20 {
		t.Errorf("the pcap folder holds %d bytes, over its 1 MB bound", total)
	}
}
