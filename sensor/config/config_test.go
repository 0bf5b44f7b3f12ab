package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor/afpacket"
	"github.com/tlsentry/tlsentry/sensor/allowlist"
	"github.com/tlsentry/tlsentry/sensor/fleet"
	"github.com/tlsentry/tlsentry/sensor/natsout"
	"github.com/tlsentry/tlsentry/sensor/ratelimit"
)

func TestDefaultIsValid(t *testing.T) {
	d := Default()
	if err := d.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	if d.Sensor.Name == "" {
		t.Error("default sensor name is empty")
	}
	if want := min(runtime.NumCPU(), afpacket.MaxWorkers); d.Capture.Workers != want {
		t.Errorf("default workers = %d, want %d", d.Capture.Workers, want)
	}
	if !reflect.DeepEqual(d.Flow, flow.DefaultConfig()) {
		t.Errorf("default flow settings %+v differ from flow.DefaultConfig() %+v", d.Flow, flow.DefaultConfig())
	}
	err := d.ValidateLive()
	if err == nil || err.Error() != "capture.interfaces: live capture needs at least one interface: set it to the one that receives the span or mirror traffic, e.g. [eth1]" {
		t.Errorf("Default().ValidateLive() = %v, want the missing interfaces", err)
	}
}

// TestShippedConfig parses configs/tlsentry.yaml: it must load, equal the
// defaults in every key, document every key, and be refused for live
// capture until an interface is set (the one key with no default).
func TestShippedConfig(t *testing.T) {
	const path = "../../configs/tlsentry.yaml"
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	line := interfacesLine(t, path)
	want := fmt.Sprintf("%s:%d: capture.interfaces: live capture needs at least one interface", path, line)
	if err := c.ValidateLive(); err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("ValidateLive: %v, want the unset interface refused: %s", err, want)
	}
	// Everything is the default, shown or (sensor.name, capture.workers)
	// commented out.
	hot, restart := Diff(Default(), c)
	if len(hot)+len(restart) > 0 {
		t.Errorf("shipped config differs from the defaults in %v %v", hot, restart)
	}
	if got := c.Capture.Ports; !slices.Equal(got, []int{443, 8443, 465, 993, 995, 636, 853}) {
		t.Errorf("shipped ports %v: want the usual TLS ports", got)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, key := range append(HotKeys(), RestartKeys()...) {
		_, name, _ := strings.Cut(key, ".")
		// The key, maybe commented out, right below a comment line.
		re := regexp.MustCompile(`(?m)^ *#.*\n *#?` + regexp.QuoteMeta(name) + `:`)
		if !re.MatchString(text) {
			t.Errorf("%s is not in %s below a comment", key, path)
		}
	}
	// The threshold is in the model's units, which change with the model:
	// the file points at check-config, which prints them, and gives no
	// number that would go stale.
	threshold := regexp.MustCompile(`(?m)(?:^ *#.*\n)+ *#?threshold:.*`).FindString(text)
	if !strings.Contains(threshold, "check-config") || regexp.MustCompile(`threshold: *\S`).MatchString(threshold) {
		t.Errorf("detector.threshold's documentation does not point at check-config, or shows a value:\n%s", threshold)
	}
}

// interfacesLine is the line of capture.interfaces in the file at path.
func interfacesLine(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "  interfaces:") {
			return i + 1
		}
	}
	t.Fatalf("%s sets no capture.interfaces", path)
	return 0
}

func TestParseEmpty(t *testing.T) {
	for _, in := range []string{"", "# only a comment\n", "---\n", "~\n", "capture:\nflow:\n", "{}\n"} {
		c, err := Parse([]byte(in), "x.yaml")
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		if hot, restart := Diff(Default(), c); len(hot)+len(restart) > 0 {
			t.Errorf("Parse(%q) is not the default: %v %v", in, hot, restart)
		}
	}
}

func TestParseValues(t *testing.T) {
	in := `
sensor: {name: dmz-1}
capture:
  interfaces: [eth1, ens3f0]
  ports: [443, 8443, 0x1bb1]
  workers: 8
  ring_size_mb: 256
  block_size_kb: 2048
  block_timeout: 2ms
  promiscuous: false
  bpf: false
  bpf_map_entries: 1_000_000
  bpf_budget_bytes: 4096
  bpf_budget_packets: 8
flow: &flow
  max_flows: 1000
  idle_timeout: 30s
  max_age: 1h30m
  closed_timeout: 5s
  udp_idle_timeout: 45s
  verdict_timeout: 20s
  tls_ports: [443, 4443]
  handshake_limit: 512
  scan_limit: 1
  max_pending: 1500
detector:
  model: /etc/tlsentry/site.model
  alert_rate: 0.01
  batch_size: 64
  batch_timeout: 20ms
  queue_size: 100
  scoring_workers: 4
allowlist:
  sni_suffixes: [Example.COM., windowsupdate.com]
  ja3: [E7D705A3286E19EA42F587B344EE6865]
  ja4: [t13d1516h2_8daaf6152771_b186095e22b6]
  cidrs: [10.0.0.0/8, "2001:db8::/32", 192.0.2.1]
alerts:
  rate_limit:
    - {signature_id: 0, track: by_src, count: 2, window: 5m}
    - signature_id: 8100007
      track: by_fingerprint
      count: 1
      window: 1h
  max_tracked: 1000
output:
  alert_log: ""
  flow_log: flows.json
  stdout: true
  rotate_size_mb: 0
  rotate_age: 24h
  max_backups: 3
  include_prefix: false
  include_handshake: false
  log_level: debug
  log: /var/log/tlsentry/tlsentry.log
  nats:
    servers: [nats://10.0.0.1:4222, tls://nats.example.com:4222]
    creds: /etc/tlsentry/sensor.creds
    tls_ca: ca.pem
    subject_prefix: tlsentry.dmz-1
    records: [alert, flow]
    max_in_flight: 256
    queue_size: 1000
    ack_timeout: 2s
    spool_dir: /var/lib/tlsentry/spool
    spool_size_mb: 64
    close_timeout: 3s
    create_stream: false
    stream: ALERTS
    stream_subjects: [tlsentry.>]
    stream_max_age: 24h
    stream_max_size_mb: 1024
    duplicate_window: 2m
metrics:
  listen: ""
fleet:
  watch: true
  name: dmz
  bucket: fleet_kv
  model_bucket: fleet_models
  max_model_mb: 64
`
	c, err := Parse([]byte(in), "full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Sensor: Sensor{Name: "dmz-1"},
		Capture: Capture{
			Interfaces: []string{"eth1", "ens3f0"}, Ports: []int{443, 8443, 7089}, Workers: 8,
			RingSizeMB: 256, BlockSizeKB: 2048, BlockTimeout: 2 * time.Millisecond,
			BPFMapEntries: 1000000, BPFBudgetBytes: 4096, BPFBudgetPackets: 8,
		},
		Flow: flow.Config{
			MaxFlows: 1000, IdleTimeout: 30 * time.Second, MaxAge: 90 * time.Minute,
			ClosedTimeout: 5 * time.Second, UDPIdleTimeout: 45 * time.Second, VerdictTimeout: 20 * time.Second,
			TLSPorts: []int{443, 4443}, HandshakeLimit: 512, ScanLimit: 1, MaxPending: 1500,
		},
		Detector: Detector{
			Model: "/etc/tlsentry/site.model", AlertRate: 0.01, BatchSize: 64,
			BatchTimeout: 20 * time.Millisecond, QueueSize: 100, ScoringWorkers: 4,
		},
		Allowlist: allowlist.Config{
			SNISuffixes: []string{"Example.COM.", "windowsupdate.com"},
			JA3:         []string{"E7D705A3286E19EA42F587B344EE6865"},
			JA4:         []string{"t13d1516h2_8daaf6152771_b186095e22b6"},
			CIDRs:       []string{"10.0.0.0/8", "2001:db8::/32", "192.0.2.1"},
		},
		Alerts: ratelimit.Config{Rules: []ratelimit.Rule{
			{SignatureID: 0, Track: ratelimit.BySrc, Count: 2, Window: 5 * time.Minute},
			{SignatureID: 8100007, Track: ratelimit.ByFingerprint, Count: 1, Window: time.Hour},
		}, MaxTracked: 1000},
		Beacon: DefaultBeacon(),
		Scan:   DefaultScan(),
		Output: Output{
			FlowLog: "flows.json", Stdout: true, RotateAge: 24 * time.Hour, MaxBackups: 3, AlertPcapMaxMB: 1024,
			LogLevel: "debug", Log: "/var/log/tlsentry/tlsentry.log",
			NATS: natsout.Config{
				Servers: []string{"nats://10.0.0.1:4222", "tls://nats.example.com:4222"},
				Creds:   "/etc/tlsentry/sensor.creds", TLSCA: "ca.pem", SubjectPrefix: "tlsentry.dmz-1",
				Records: []string{"alert", "flow"}, MaxInFlight: 256, QueueSize: 1000, AckTimeout: 2 * time.Second,
				SpoolDir: "/var/lib/tlsentry/spool", SpoolSizeMB: 64, CloseTimeout: 3 * time.Second,
				Stream: "ALERTS", StreamSubjects: []string{"tlsentry.>"}, StreamMaxAge: 24 * time.Hour,
				StreamMaxSizeMB: 1024, DuplicateWindow: 2 * time.Minute,
			},
		},
		Fleet: fleet.Config{Watch: true, Name: "dmz", Bucket: "fleet_kv", ModelBucket: "fleet_models", MaxModelMB: 64},
	}
	c.src = nil
	if !reflect.DeepEqual(c, want) {
		t.Errorf("parsed\n%+v\nwant\n%+v", c, want)
	}
}

func TestParseAlias(t *testing.T) {
	in := "x-common: &ports [443, 8443]\n"
	if _, err := Parse([]byte(in), "a.yaml"); err == nil || err.Error() != "a.yaml:1: x-common: unknown key" {
		t.Errorf("an unknown top-level key used for anchors: %v", err)
	}
	in = "capture:\n  ports: &p [443, 8443]\nallowlist:\n  cidrs: &c [10.0.0.0/8]\n  sni_suffixes: *c\n"
	_, err := Parse([]byte(in), "a.yaml")
	// The alias is followed: the CIDR is checked as a domain name, on the
	// line of the anchored list.
	if err == nil || err.Error() != `a.yaml:4: allowlist.sni_suffixes[0]: "10.0.0.0/8" is not a domain name ('/' is not allowed)` {
		t.Errorf("alias: %v", err)
	}
}

// TestSyntaxErrorLines checks that YAML syntax errors name the line the
// problem is on, whichever part of the YAML library found it.
func TestSyntaxErrorLines(t *testing.T) {
	tests := []struct{ in, want string }{
		{"capture:\n  ports: [443\nflow: {}\n", "s.yaml:2: invalid YAML: did not find expected ',' or ']'"},
		// The end of the file, where the parser found the list unclosed.
		{"[443\n", "s.yaml:2: invalid YAML: did not find expected ',' or ']'"},
		{"sensor:\n  name: a\n bad: 1\n", "s.yaml:3: invalid YAML: did not find expected key"},
		{"sensor: {}\n- flow\n", "s.yaml:2: invalid YAML: did not find expected key"},
		{"sensor:\n  name: a: b\n", "s.yaml:2: invalid YAML: mapping values are not allowed in this context"},
		{"sensor:\n  name: \"abc\n", "s.yaml:2: invalid YAML: found unexpected end of stream"},
		{"capture:\n  ports: *nope\n", "s.yaml: invalid YAML: unknown anchor 'nope' referenced"},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.in), "s.yaml")
		if err == nil || err.Error() != tc.want {
			t.Errorf("Parse(%q)\n got: %v\nwant: %s", tc.in, err, tc.want)
		}
	}
}

func TestValidateLive(t *testing.T) {
	c, err := Parse([]byte("capture:\n  interfaces: []\n"), "l.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ValidateLive(); err == nil || err.Error() != "l.yaml:2: capture.interfaces: live capture needs at least one interface: set it to the one that receives the span or mirror traffic, e.g. [eth1]" {
		t.Errorf("ValidateLive() = %v", err)
	}
	c, err = Parse([]byte("capture:\n  interfaces: [eth0]\n"), "l.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ValidateLive(); err != nil {
		t.Errorf("ValidateLive() = %v", err)
	}
}

func TestValidateInCode(t *testing.T) {
	c := Default()
	c.Flow.IdleTimeout = 0
	c.Allowlist.JA3 = []string{"nothex"}
	want := "flow.idle_timeout: 0s is out of range (1s-24h)\n" +
		`allowlist.ja3[0]: "nothex" is not a JA3 hash (32 hex digits)`
	if err := c.Validate(); err == nil || err.Error() != want {
		t.Errorf("Validate() = %v\nwant %s", err, want)
	}
	var e *Error
	if err := c.Validate(); !errors.As(err, &e) || e.Path != "flow.idle_timeout" || e.Line != 0 {
		t.Errorf("first error %+v", e)
	}
}

func TestErrorCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("allowlist:\n  ja3:\n")
	for range 50 {
		b.WriteString("    - bad\n")
	}
	_, err := Parse([]byte(b.String()), "cap.yaml")
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != maxErrors+1 || lines[maxErrors] != "cap.yaml: and 30 more problems" {
		t.Errorf("%d lines, last %q", len(lines), lines[len(lines)-1])
	}
	if lines[0] != `cap.yaml:3: allowlist.ja3[0]: "bad" is not a JA3 hash (32 hex digits)` {
		t.Errorf("first line %q", lines[0])
	}
}

func TestLoadRelativePaths(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tlsentry.yaml")
	in := "detector:\n  model: m/site.model\noutput:\n  alert_log: /abs/alerts.json\n  flow_log: flows.json\n" +
		"blocklist:\n  sni: [lists/names.txt, /abs/names.txt]\n  cert_sha1: [sslblacklist.csv]\n"
	if err := os.WriteFile(path, []byte(in), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Detector.Model != filepath.Join(dir, "m/site.model") || c.Output.AlertLog != "/abs/alerts.json" ||
		c.Output.FlowLog != filepath.Join(dir, "flows.json") || c.Output.Log != "" {
		t.Errorf("paths: model %q alert %q flow %q log %q", c.Detector.Model, c.Output.AlertLog, c.Output.FlowLog, c.Output.Log)
	}
	if b := c.Blocklist; !slices.Equal(b.SNI, []string{filepath.Join(dir, "lists/names.txt"), "/abs/names.txt"}) ||
		!slices.Equal(b.CertSHA1, []string{filepath.Join(dir, "sslblacklist.csv")}) {
		t.Errorf("block list paths %+v", b)
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, make([]byte, MaxFileSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || !strings.HasSuffix(err.Error(), ": larger than 16777216 bytes") {
		t.Errorf("big file: %v", err)
	}
}

// TestVerdictTimeoutFollowsShortIdle: a configuration that shortens the
// idle timeout below the default verdict timeout, and sets no verdict
// timeout, gets the idle timeout as its verdict timeout; one that sets a
// verdict timeout past the idle timeout is refused (bad_test.go).
func TestVerdictTimeoutFollowsShortIdle(t *testing.T) {
	c, err := Parse([]byte("flow:\n  idle_timeout: 5s\n"), "short.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Flow.VerdictTimeout != 5*time.Second {
		t.Errorf("verdict timeout %v, want the idle timeout 5s", c.Flow.VerdictTimeout)
	}
	c, err = Parse([]byte("flow:\n  idle_timeout: 5m\n"), "long.yaml")
	if err != nil || c.Flow.VerdictTimeout != flow.DefaultConfig().VerdictTimeout {
		t.Errorf("idle 5m: verdict timeout %v (%v), want the default", c.Flow.VerdictTimeout, err)
	}
}
