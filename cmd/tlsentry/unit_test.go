package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const unitPath = "../../systemd/tlsentry.service"

// unitKeys reads the [Service] keys of the unit (a repeated key keeps
// its last value).
func unitKeys(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keys := map[string]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			section = line
		case section == "[Service]":
			k, v, _ := strings.Cut(line, "=")
			keys[k] = v
		}
	}
	return keys
}

// unitCapabilities are the unit's ambient capabilities, as setpriv names
// them (net_raw...).
func unitCapabilities(t *testing.T) []string {
	t.Helper()
	var caps []string
	for c := range strings.FieldsSeq(unitKeys(t)["AmbientCapabilities"]) {
		caps = append(caps, strings.ToLower(strings.TrimPrefix(c, "CAP_")))
	}
	return caps
}

func TestSystemdUnit(t *testing.T) {
	k := unitKeys(t)
	for key, want := range map[string]string{
		"Type": "notify", "ExecReload": "/bin/kill -HUP $MAINPID", "DynamicUser": "yes", "NoNewPrivileges": "yes",
		"ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes", "LogsDirectory": "tlsentry",
		"ConfigurationDirectory": "tlsentry", "Restart": "on-failure", "RestartSec": "5",
		"ExecStart": "/usr/local/bin/tlsentry run -config " + defaultConfigPath,
	} {
		if k[key] != want {
			t.Errorf("%s=%q, want %q", key, k[key], want)
		}
	}
	// Exactly what capture needs: promiscuous mode, the fanout group and
	// the filters are options of the AF_PACKET sockets, which ask for no
	// CAP_NET_ADMIN (TestRunLiveMissingCapability starts without it).
	if caps := unitCapabilities(t); !slices.Equal(caps, []string{"net_raw", "bpf"}) {
		t.Errorf("AmbientCapabilities %v, want CAP_NET_RAW CAP_BPF", caps)
	}
	if k["RestartPreventExitStatus"] != strconv.Itoa(exitConfig) {
		t.Errorf("RestartPreventExitStatus=%q, want %d: a refused configuration must not restart for ever", k["RestartPreventExitStatus"], exitConfig)
	}
	if k["CapabilityBoundingSet"] != k["AmbientCapabilities"] {
		t.Errorf("CapabilityBoundingSet %q differs from AmbientCapabilities %q", k["CapabilityBoundingSet"], k["AmbientCapabilities"])
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze not installed: the unit's syntax is not verified")
		return
	}
	// verify insists that ExecStart is executable: point it at this test
	// binary. Unknown keys and bad values are only warnings, so any
	// output fails the test.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(t.TempDir(), "tlsentry.service")
	os.WriteFile(unit, []byte(strings.ReplaceAll(string(data), "/usr/local/bin/tlsentry", self)), 0o644)
	out, err := exec.Command(analyze, "verify", unit).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// A configuration run refuses exits with status 78 (which the unit does
// not restart on), the problems on stderr one a line; other failures
// still exit 1, a capture file's problem said on stderr with its name.
func TestRunConfigErrorExitStatus(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("flow:\n  scan_limit: 0\n  max_flows: 0\noutput: {alert_log: "+filepath.Join(dir, "a.json")+"}\n"), 0o644)
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("metrics: {listen: \"\"}\noutput: {alert_log: "+filepath.Join(dir, "a.json")+", log: "+filepath.Join(dir, "d.log")+"}\n"), 0o644)
	for _, tc := range []struct {
		args   []string
		status int
		stderr []string
	}{
		{[]string{"run", "-config", bad, "-r", sample}, exitConfig, []string{
			"tlsentry: " + bad + ":2: flow.scan_limit: 0 is out of range (1-1048576)\n",
			"tlsentry: " + bad + ":3: flow.max_flows: 0 is out of range",
		}},
		{[]string{"run", "-config", filepath.Join(dir, "missing.yaml"), "-r", sample}, exitConfig, []string{"missing.yaml"}},
		// The problem itself on stderr too, not only in the log file.
		{[]string{"run", "-config", good, "-r", filepath.Join(dir, "missing.pcap")}, 1, []string{
			"tlsentry run: open capture: open " + filepath.Join(dir, "missing.pcap") + ": no such file or directory\n",
			"tlsentry: 1 problem(s) in the input\n",
		}},
	} {
		cmd := exec.Command(self, tc.args...)
		cmd.Env = append(os.Environ(), "TLSENTRY_TEST_MAIN=1")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != tc.status {
			t.Errorf("%v: %v, want exit status %d\n%s", tc.args, err, tc.status, stderr.String())
		}
		for _, s := range tc.stderr {
			if !strings.Contains(stderr.String(), s) {
				t.Errorf("%v: stderr lacks %q:\n%s", tc.args, s, stderr.String())
			}
		}
	}
}
