package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func writeTemp(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tlsentry.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCheckConfigShipped: the shipped configuration is refused until an
// interface is set, and is otherwise sound: with -offline it passes, and
// the summary shows the usual TLS ports and the model's threshold with
// its scale.
func TestCheckConfigShipped(t *testing.T) {
	const path = "../../configs/tlsentry.yaml"
	out, errOut, err := runCmd(t, "check-config", path)
	if !errors.Is(err, errInvalidConfig) || out != "" || !strings.Contains(errOut, "capture.interfaces: live capture needs at least one interface") {
		t.Errorf("check-config of the shipped file with no interface: %v\nstdout: %s\nstderr: %s", err, out, errOut)
	}
	out, errOut, err = runCmd(t, "check-config", "-offline", path)
	if err != nil {
		t.Fatalf("check-config -offline: %v\n%s", err, errOut)
	}
	if !strings.HasPrefix(out, path+": ok\n") || !strings.Contains(out, "ports [443 8443 465 993 995 636 853]") ||
		!strings.Contains(out, "alerts to /var/log/tlsentry/alerts.json, flows off, tls records off, alert pcaps off, metrics 127.0.0.1:9560") ||
		!regexp.MustCompile(`embedded default \(hybrid/\w+\), threshold [0-9.]+ from the model's threshold \(.+\)`).MatchString(out) {
		t.Errorf("stdout:\n%s", out)
	}
	// With an interface set (and the alert log where this test may write).
	text := strings.Replace(readFile(t, path), "  interfaces: []\n", "  interfaces: [lo]\n", 1)
	text = strings.Replace(text, "alert_log: /var/log/tlsentry/alerts.json", "alert_log: "+filepath.Join(t.TempDir(), "alerts.json"), 1)
	withIface := writeTemp(t, text)
	if out, errOut, err := runCmd(t, "check-config", withIface); err != nil || !strings.Contains(out, "interfaces lo,") {
		t.Errorf("the shipped file with an interface set: %v\n%s%s", err, out, errOut)
	}
}

func TestCheckConfigProblems(t *testing.T) {
	tests := []struct {
		name, text string
		args       []string
		want       []string // stderr lines, after the file name
	}{
		{"bad values", "capture:\n  interfaces: [eth0]\n  ports: [443, 443]\nflow:\n  idle_timeout: 5x\n", nil,
			[]string{`:3: capture.ports[1]: 443 is listed twice`, `:5: flow.idle_timeout: "5x" is not a duration (like 250ms, 90s, 5m or 2h)`}},
		{"unknown nested key", "capture:\n  interfaces: [eth0]\n  promisc: true\n", nil,
			[]string{`:3: capture.promisc: unknown key (did you mean promiscuous?)`}},
		{"no interfaces", "sensor:\n  name: x\n", nil,
			[]string{`: capture.interfaces: live capture needs at least one interface`}},
		{"missing model", "capture:\n  interfaces: [eth0]\ndetector:\n  model: /nonexistent/x.model\n", nil,
			[]string{`:4: detector.model: model: stat /nonexistent/x.model: no such file or directory`}},
		{"rate the model lacks", "detector:\n  alert_rate: 0.005\n", []string{"-offline"},
			[]string{`:2: detector.alert_rate: 0.005: the model knows the threshold only for alert rates`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeTemp(t, tc.text)
			args := append(append([]string{"check-config"}, tc.args...), path)
			out, errOut, err := runCmd(t, args...)
			if !errors.Is(err, errInvalidConfig) || errors.Is(err, errUsage) {
				t.Fatalf("err = %v", err)
			}
			if out != "" {
				t.Errorf("stdout: %q", out)
			}
			lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("stderr:\n%s", errOut)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(lines[i], path+w) {
					t.Errorf("line %d: %q, want %q", i+1, lines[i], path+w)
				}
			}
		})
	}
}

func TestCheckConfigOffline(t *testing.T) {
	path := writeTemp(t, "detector:\n  alert_rate: 0.01\nallowlist:\n  cidrs: [10.0.0.0/8]\n")
	out, errOut, err := runCmd(t, "check-config", "-offline", path)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	for _, want := range []string{"interfaces none (capture files only)", "from detector.alert_rate 0.01", "allowlist: 1 entries"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if out, _, err := runCmd(t, "check-config", "-offline", "-no-model", path); err != nil || !strings.Contains(out, "not loaded (-no-model)") {
		t.Errorf("-no-model: %v\n%s", err, out)
	}
}

func TestCheckConfigUsage(t *testing.T) {
	for _, args := range [][]string{{"check-config", "a.yaml", "b.yaml"}, {"check-config", "-bogus", "a.yaml"}} {
		if _, _, err := runCmd(t, args...); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	if _, _, err := runCmd(t, "check-config", filepath.Join(t.TempDir(), "missing.yaml")); err == nil || errors.Is(err, errUsage) {
		t.Errorf("missing file: %v", err)
	}
}

// TestCheckConfigAgreesWithRun feeds check-config and run the same files:
// what one refuses the other refuses, at the same key, and a file
// check-config passes starts the daemon. The first five were passed by
// check-config and refused by run before the bounds had one owner each.
// A capture interface that does not exist is accepted by both (run waits
// for it), with a warning from check-config.
func TestCheckConfigAgreesWithRun(t *testing.T) {
	tests := []struct {
		name     string
		sections map[string]string
		live     bool
		key      string // the key both name; "" for a file both accept
		warning  string // what check-config warns of, on a file both accept
	}{
		{"block timeout over the capture's bound", map[string]string{"capture": "  block_timeout: 1s\n"}, false, "capture.block_timeout", ""},
		{"ring over the capture's bound", map[string]string{"capture": "  ring_size_mb: 4096\n"}, false, "capture.ring_size_mb", ""},
		{"rotation without backups", map[string]string{"output": "  alert_log: alerts.json\n  rotate_size_mb: 10\n  max_backups: 0\n"}, false, "output.max_backups", ""},
		{"filter budget under the handshake limit", map[string]string{"capture": "  bpf_budget_bytes: 4096\n"}, false, "capture.bpf_budget_bytes", ""},
		{"scan limit zero", map[string]string{"flow": "  scan_limit: 0\n"}, false, "flow.scan_limit", ""},
		{"alert log under a file", map[string]string{"output": "  alert_log: tlsentry.yaml/alerts.json\n"}, false, "output.alert_log", ""},
		{"missing model", map[string]string{"detector": "  model: /nonexistent/x.model\n"}, false, "detector.model", ""},
		{"alert rate the model lacks", map[string]string{"detector": "  alert_rate: 0.005\n"}, false, "detector.alert_rate", ""},
		{"no interfaces, live", nil, true, "capture.interfaces", ""},
		{"an interface that does not exist", map[string]string{"capture": "  interfaces: [nosuchif0]\n"}, true, "",
			`capture.interfaces[0]: warning: "nosuchif0" does not exist here: run starts and waits for it`},
		{"a good file", nil, false, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			sections := map[string]string{"detector": "  model: \"\"\n", "output": "  alert_log: alerts.json\n"}
			for k, v := range tc.sections {
				sections[k] = v
			}
			path := writeConfig(t, dir, sections)
			args := []string{"check-config", "-offline", path}
			opts := daemonOptions{configPath: path, files: []string{sample}, stdout: io.Discard, stderr: io.Discard}
			// A file run accepts live opens a capture (waiting for its
			// interface), which needs CAP_NET_RAW and CAP_BPF.
			runs := true
			if tc.live {
				args = []string{"check-config", path}
				opts.files = nil
				runs = tc.key != "" || os.Geteuid() == 0
			}
			_, errOut, checkErr := runCmd(t, args...)
			var runErr error
			if runs {
				var d *daemon
				if d, runErr = startDaemon(opts); d != nil {
					d.close()
				}
			} else {
				t.Log("run not tried: it would open a live capture, which needs root")
			}
			if tc.key == "" {
				if checkErr != nil || runErr != nil {
					t.Fatalf("check-config: %v %s; run: %v", checkErr, errOut, runErr)
				}
				if tc.warning != "" && !strings.Contains(errOut, tc.warning) || tc.warning == "" && errOut != "" {
					t.Errorf("check-config said:\n%s\nwant the warning %q", errOut, tc.warning)
				}
				return
			}
			if checkErr == nil || runErr == nil {
				t.Fatalf("check-config: %v; run: %v: want both to refuse", checkErr, runErr)
			}
			if !strings.Contains(errOut, tc.key) || !strings.Contains(runErr.Error(), tc.key) {
				t.Errorf("check-config said:\n%s\nrun said: %v\nwant both to name %s", errOut, runErr, tc.key)
			}
		})
	}
}
