package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestKeyClasses(t *testing.T) {
	wantHot := []string{
		"sensor.name",
		"detector.threshold", "detector.alert_rate",
		"allowlist.sni_suffixes", "allowlist.ja3", "allowlist.ja4", "allowlist.cidrs",
		"blocklist.ja3", "blocklist.ja4", "blocklist.cert_sha1", "blocklist.sni", "alerts.rate_limit", "alerts.max_tracked",
		"beacon.threshold",
		"output.alert_log", "output.flow_log", "output.stdout", "output.tls_log", "output.rotate_size_mb", "output.rotate_age",
		"output.max_backups", "output.include_prefix", "output.include_handshake", "output.alert_pcap_dir", "output.alert_pcap_max_mb", "output.log_level", "output.log",
	}
	wantRestart := []string{
		"capture.interfaces", "capture.ports", "capture.workers", "capture.ring_size_mb", "capture.block_size_kb",
		"capture.block_timeout", "capture.promiscuous", "capture.bpf", "capture.bpf_map_entries", "capture.bpf_budget_bytes", "capture.bpf_budget_packets",
		"flow.max_flows", "flow.max_remembered", "flow.idle_timeout", "flow.max_age", "flow.closed_timeout", "flow.udp_idle_timeout",
		"flow.verdict_timeout", "flow.tls_ports", "flow.handshake_limit",
		"flow.scan_limit", "flow.max_pending", "flow.memory_budget_mb",
		"detector.model", "detector.batch_size", "detector.batch_timeout", "detector.queue_size", "detector.scoring_workers",
		"beacon.enabled", "beacon.key", "beacon.window", "beacon.min_connections", "beacon.min_period", "beacon.max_pairs",
		"beacon.max_destinations", "beacon.popular_clients", "beacon.ring_length",
		"scan.enabled", "scan.min_stacks", "scan.window", "scan.max_pairs",
		"output.nats", "metrics.listen",
		"fleet.watch", "fleet.name", "fleet.bucket", "fleet.model_bucket", "fleet.max_model_mb",
	}
	if got := HotKeys(); !reflect.DeepEqual(got, wantHot) {
		t.Errorf("HotKeys() = %v", got)
	}
	if got := RestartKeys(); !reflect.DeepEqual(got, wantRestart) {
		t.Errorf("RestartKeys() = %v", got)
	}
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name         string
		change       func(c *Config)
		hot, restart []string
	}{
		{"nothing", func(c *Config) {}, nil, nil},
		{"empty list vs none", func(c *Config) { c.Allowlist.JA3 = []string{} }, nil, nil},
		{"threshold", func(c *Config) { c.Detector.Threshold = 0.7 }, []string{"detector.threshold"}, nil},
		{"allowlist entry", func(c *Config) { c.Allowlist.SNISuffixes = []string{"example.com"} }, []string{"allowlist.sni_suffixes"}, nil},
		{"log level and rotation", func(c *Config) { c.Output.LogLevel = "debug"; c.Output.RotateAge = time.Hour },
			[]string{"output.rotate_age", "output.log_level"}, nil},
		{"ports order", func(c *Config) { c.Capture.Ports = []int{8443, 443} }, nil, []string{"capture.ports"}},
		{"workers and model", func(c *Config) { c.Capture.Workers++; c.Detector.Model = "x.model" },
			nil, []string{"capture.workers", "detector.model"}},
		{"both", func(c *Config) { c.Metrics.Listen = ""; c.Sensor.Name = "other"; c.Flow.MaxAge = time.Minute },
			[]string{"sensor.name"}, []string{"flow.max_age", "metrics.listen"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old, next := Default(), Default()
			tc.change(next)
			hot, restart := Diff(old, next)
			if !reflect.DeepEqual(hot, tc.hot) || !reflect.DeepEqual(restart, tc.restart) {
				t.Errorf("Diff = %v %v, want %v %v", hot, restart, tc.hot, tc.restart)
			}
			// Symmetric.
			hot, restart = Diff(next, old)
			if !reflect.DeepEqual(hot, tc.hot) || !reflect.DeepEqual(restart, tc.restart) {
				t.Errorf("reverse Diff = %v %v", hot, restart)
			}
		})
	}
}

func writeConfig(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestHolderReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tlsentry.yaml")
	writeConfig(t, path, "capture:\n  interfaces: [eth0]\n  workers: 2\ndetector:\n  threshold: 0.6\n")
	initial, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	h := NewHolder(initial, (*Config).ValidateLive)
	if _, ok := h.LastReload(); ok {
		t.Error("LastReload before any reload")
	}

	// A bad file: the error names the line, the old config stays.
	writeConfig(t, path, "capture:\n  interfaces: [eth0]\n  workers: 2\ndetector:\n  threshold: high\n")
	hot, restart, err := h.Reload(path)
	if err == nil || !strings.HasSuffix(err.Error(), `tlsentry.yaml:5: detector.threshold: "high" is not a number`) {
		t.Errorf("Reload of a bad file: %v", err)
	}
	if hot != nil || restart != nil {
		t.Errorf("failed reload reported changes %v %v", hot, restart)
	}
	if h.Current() != initial {
		t.Error("failed reload replaced the config")
	}
	if r, ok := h.LastReload(); !ok || r.Err == nil || r.Time.IsZero() {
		t.Errorf("LastReload after a failure = %+v", r)
	}

	// Valid YAML that the daemon's check refuses: kept out too.
	writeConfig(t, path, "capture:\n  interfaces: []\n")
	if _, _, err := h.Reload(path); err == nil || !strings.Contains(err.Error(), "live capture needs at least one interface") {
		t.Errorf("Reload with a failing check: %v", err)
	}
	if h.Current() != initial {
		t.Error("reload refused by the check replaced the config")
	}

	// A good file: hot keys apply, restart-only keys are reported and
	// keep their running values.
	writeConfig(t, path, "capture:\n  interfaces: [eth0]\n  workers: 4\ndetector:\n  threshold: 0.7\nallowlist:\n  ja3: [e7d705a3286e19ea42f587b344ee6865]\n")
	hot, restart, err = h.Reload(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(hot, []string{"detector.threshold", "allowlist.ja3"}) || !reflect.DeepEqual(restart, []string{"capture.workers"}) {
		t.Errorf("Reload = %v %v", hot, restart)
	}
	cur := h.Current()
	if cur.Detector.Threshold != 0.7 || len(cur.Allowlist.JA3) != 1 || cur.Capture.Workers != 2 {
		t.Errorf("after reload: threshold %v ja3 %v workers %d", cur.Detector.Threshold, cur.Allowlist.JA3, cur.Capture.Workers)
	}
	if initial.Detector.Threshold != 0.6 {
		t.Error("reload modified the old config")
	}
	if r, _ := h.LastReload(); r.Err != nil || !reflect.DeepEqual(r.Restart, restart) || !reflect.DeepEqual(r.Hot, hot) {
		t.Errorf("LastReload = %+v", r)
	}

	// The same file again: nothing new is hot, and the worker change still
	// waits for a restart.
	hot, restart, err = h.Reload(path)
	if err != nil || hot != nil || !reflect.DeepEqual(restart, []string{"capture.workers"}) {
		t.Errorf("second Reload = %v %v %v", hot, restart, err)
	}
}

func TestHolderConcurrentReads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tlsentry.yaml")
	writeConfig(t, path, "detector:\n  threshold: 0.5\n")
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	h := NewHolder(c, nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 200 {
			if th := h.Current().Detector.Threshold; th != 0.5 && th != 0.75 {
				t.Errorf("read threshold %v", th)
				return
			}
		}
	}()
	for i := range 20 {
		writeConfig(t, path, []string{"detector:\n  threshold: 0.5\n", "detector:\n  threshold: 0.75\n"}[i%2])
		if _, _, err := h.Reload(path); err != nil {
			t.Fatal(err)
		}
	}
	<-done
}
