package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/internal/sharedpcaps"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// readJSONLines reads a file of JSON lines as maps, each checked against
// the schema.
func readJSONLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if l == "" {
			continue
		}
		if err := testkit.CheckEve([]byte(l)); err != nil {
			t.Fatalf("%s: %v\n%s", path, err, l)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// checkTLSRecords holds tls records to the flow records of the same
// flows: exactly one per flow with a tls object (alerting or not, TCP or
// QUIC), with its addresses, community_id, interface and tls object, at
// its first packet's time; host when want says so. It returns how many.
func checkTLSRecords(t *testing.T, flows, tlsRecs []map[string]any, host string) int {
	t.Helper()
	byID := map[float64]map[string]any{}
	for _, r := range tlsRecs {
		id := r["flow_id"].(float64)
		if _, dup := byID[id]; dup {
			t.Errorf("two tls records for flow %v", id)
		}
		byID[id] = r
	}
	n := 0
	for _, f := range flows {
		if f["event_type"] != "flow" {
			continue
		}
		r, ok := byID[f["flow_id"].(float64)]
		if f["tls"] == nil {
			if ok {
				t.Errorf("a tls record for flow %v, which spoke no TLS (app_proto %v)", f["flow_id"], f["app_proto"])
			}
			continue
		}
		if !ok {
			t.Errorf("no tls record for TLS flow %v (%v %v)", f["flow_id"], f["proto"], f["tls"])
			continue
		}
		n++
		want := map[string]any{"timestamp": f["flow"].(map[string]any)["start"], "event_type": "tls", "tls": f["tls"]}
		for _, k := range []string{"flow_id", "in_iface", "src_ip", "src_port", "dest_ip", "dest_port", "proto", "community_id"} {
			if v, ok := f[k]; ok {
				want[k] = v
			}
		}
		if host != "" {
			want["host"] = host
		}
		if !reflect.DeepEqual(r, want) {
			t.Errorf("tls record of flow %v:\n got  %v\n want %v", f["flow_id"], r, want)
		}
	}
	if n != len(tlsRecs) {
		t.Errorf("%d tls records, %d of them for a TLS flow", len(tlsRecs), n)
	}
	return n
}

// TestScoreTLSLog: score -tls-log writes one tls record per TLS session
// of the sample (and of shared captures with TLS and QUIC), alerting or
// not, each schema-valid and equal to its flow record's tls object.
func TestScoreTLSLog(t *testing.T) {
	captures := []string{sample}
	if dir, ok := sharedpcaps.Dir(); ok {
		for _, n := range []string{"zeek/tls-conn-with-extensions.pcap", "ndpi/tls_long_cert.pcap", "zeek/ssl-v2.pcap", "ndpi/quic_0RTT.pcap", "suricata-verify/quic-v2-ja3_input.pcap"} {
			captures = append(captures, filepath.Join(dir, n))
		}
	}
	total := 0
	for i, c := range captures {
		dir := t.TempDir()
		out, tlsOut := filepath.Join(dir, "score.json"), filepath.Join(dir, "tls.json")
		args := []string{"score", "-r", c, "-w", out, "-tls-log", tlsOut}
		if i == 0 {
			args = append(args, "-threshold", "1e-6") // every flow alerts: tls records all the same
		}
		if _, stderr, err := runCmd(t, args...); err != nil {
			t.Fatalf("%s: %v\n%s", c, err, stderr)
		}
		n := checkTLSRecords(t, readJSONLines(t, out), readJSONLines(t, tlsOut), "")
		if c == sample && n != 4 {
			t.Errorf("sample: %d tls records, want its 4 TLS flows", n)
		}
		total += n
	}
	t.Logf("%d tls records in %d captures", total, len(captures))

	_, _, err := runCmd(t, "score", "-r", sample, "-tls-log", "-")
	if !errors.Is(err, errUsage) {
		t.Errorf("-tls-log to stdout with the records: %v, want a usage error", err)
	}
}

// TestRunTLSLog: the daemon with output.tls_log writes the same tls
// records as score -tls-log (plus host), one per TLS session, TCP and
// QUIC, alerting or not; the log is opened and closed by a reload and
// reopened by SIGUSR1 like the others.
func TestRunTLSLog(t *testing.T) {
	captures := []string{sample}
	if dir, ok := sharedpcaps.Dir(); ok {
		captures = append(captures, filepath.Join(dir, "suricata-verify/quic-v2-ja3_input.pcap"), filepath.Join(dir, "zeek/tls-conn-with-extensions.pcap"))
	}
	dir := t.TempDir()
	cfg := writeConfig(t, dir, map[string]string{
		"output": "  alert_log: alerts.json\n  flow_log: flows.json\n  tls_log: tls/tls.json\n  include_prefix: true\n  log: tlsentry.log\n",
	})
	args := []string{"run", "-config", cfg}
	scoreArgs := []string{"score", "-model", trainedModelFile(t), "-tls-log", filepath.Join(dir, "score-tls.json"), "-w", filepath.Join(dir, "score.json")}
	for _, c := range captures {
		args = append(args, "-r", c)
		scoreArgs = append(scoreArgs, "-r", c)
	}
	if _, stderr, err := runCmd(t, args...); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr)
	}
	tlsPath := filepath.Join(dir, "tls", "tls.json")
	got := readJSONLines(t, tlsPath)
	n := checkTLSRecords(t, readJSONLines(t, filepath.Join(dir, "flows.json")), got, "e2e-sensor")
	if n == 0 || (len(captures) == 1 && n != 4) {
		t.Errorf("%d tls records from %d captures", n, len(captures))
	}
	if _, stderr, err := runCmd(t, scoreArgs...); err != nil {
		t.Fatalf("score: %v\n%s", err, stderr)
	}
	offline := readJSONLines(t, filepath.Join(dir, "score-tls.json"))
	byID := map[float64]map[string]any{}
	for _, r := range offline {
		byID[r["flow_id"].(float64)] = r
	}
	for _, r := range got {
		delete(r, "host")
		if o := byID[r["flow_id"].(float64)]; !reflect.DeepEqual(r, o) {
			t.Errorf("run's tls record\n %v\nscore's\n %v", r, o)
		}
	}
	if len(offline) != len(got) {
		t.Errorf("score wrote %d tls records, run %d", len(offline), len(got))
	}
	t.Logf("%d tls records, the same from run and score", n)

	// Reload: off, then on again; SIGUSR1 reopens it after a move.
	path := writeConfig(t, dir, map[string]string{"output": "  alert_log: alerts.json\n  log: tlsentry.log\n"})
	d, err := startDaemon(daemonOptions{configPath: path, files: []string{sample}, stdout: os.Stdout, stderr: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	if d.tlsLog != nil || d.logs.Outputs().TLS != nil {
		t.Fatal("a tls log without output.tls_log")
	}
	writeConfig(t, dir, map[string]string{"output": "  alert_log: alerts.json\n  tls_log: tls2.json\n  log: tlsentry.log\n"})
	d.reload()
	if d.tlsLog == nil || d.logs.Outputs().TLS != d.tlsLog {
		t.Fatal("output.tls_log set by a reload opened no tls log")
	}
	tls2 := filepath.Join(dir, "tls2.json")
	if err := os.Rename(tls2, tls2+".1"); err != nil {
		t.Fatal(err)
	}
	d.reopen()
	if _, err := os.Stat(tls2); err != nil {
		t.Errorf("SIGUSR1 did not reopen the tls log: %v", err)
	}
	writeConfig(t, dir, map[string]string{"output": "  alert_log: alerts.json\n  log: tlsentry.log\n"})
	d.reload()
	if d.tlsLog != nil || d.logs.Outputs().TLS != nil {
		t.Error("the tls log stayed after output.tls_log was emptied")
	}
}
