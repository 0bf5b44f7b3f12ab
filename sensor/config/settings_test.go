package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestFleetKeys(t *testing.T) {
	want := []string{"detector.threshold", "detector.alert_rate", "allowlist.sni_suffixes", "allowlist.ja3", "allowlist.ja4", "allowlist.cidrs",
		"alerts.rate_limit", "alerts.max_tracked", "beacon.threshold"}
	if got := FleetKeys(); !slices.Equal(got, want) {
		t.Errorf("FleetKeys() = %v", got)
	}
}

// TestWithSettings lays fleet settings over a sensor's file: the keys
// they set win (a threshold replaces an alert rate), the rest stays, and
// the file's configuration is not changed.
func TestWithSettings(t *testing.T) {
	base, err := Parse([]byte("detector: {alert_rate: 0.01}\nallowlist: {ja3: [e7d705a3286e19ea42f587b344ee6865], cidrs: [10.0.0.0/8]}\noutput: {alert_log: /tmp/a.json}\n"), "tlsentry.yaml")
	if err != nil {
		t.Fatal(err)
	}
	keep := *base
	settings := "detector:\n  threshold: 4.5\nallowlist:\n  sni_suffixes: [example.com]\n  cidrs: [192.0.2.0/24]\n"
	got, err := base.WithSettings([]byte(settings), "fleet settings")
	if err != nil {
		t.Fatal(err)
	}
	if got.Detector.Threshold != 4.5 || got.Detector.AlertRate != 0 {
		t.Errorf("threshold %v, alert rate %v", got.Detector.Threshold, got.Detector.AlertRate)
	}
	if !slices.Equal(got.Allowlist.CIDRs, []string{"192.0.2.0/24"}) || !slices.Equal(got.Allowlist.SNISuffixes, []string{"example.com"}) ||
		!slices.Equal(got.Allowlist.JA3, base.Allowlist.JA3) || got.Output.AlertLog != "/tmp/a.json" {
		t.Errorf("merged %+v %+v", got.Allowlist, got.Output)
	}
	hot, restart := Diff(base, got)
	if !slices.Equal(hot, []string{"detector.threshold", "detector.alert_rate", "allowlist.sni_suffixes", "allowlist.cidrs"}) || len(restart) > 0 {
		t.Errorf("diff %v %v", hot, restart)
	}
	if !reflect.DeepEqual(*base, keep) {
		t.Error("WithSettings changed the configuration it was called on")
	}
	// A sensor's own settings over the fleet's: an alert rate replaces
	// the fleet's threshold.
	mine, err := got.WithSettings([]byte("detector: {alert_rate: 0.001}"), "sensor settings")
	if err != nil {
		t.Fatal(err)
	}
	if mine.Detector.Threshold != 0 || mine.Detector.AlertRate != 0.001 || !slices.Equal(mine.Allowlist.CIDRs, []string{"192.0.2.0/24"}) {
		t.Errorf("sensor over fleet: %+v %+v", mine.Detector, mine.Allowlist)
	}
	if empty, err := base.WithSettings(nil, "empty"); err != nil || !reflect.DeepEqual(empty.Allowlist, base.Allowlist) {
		t.Errorf("empty settings: %v", err)
	}
}

// TestWithSettingsRefused: keys that are not fleet settings, bad values
// and bad YAML are refused with the settings' name and line.
func TestWithSettingsRefused(t *testing.T) {
	base := Default()
	for _, tc := range []struct{ in, want string }{
		{"detector:\n  threshold: -1\n", "fleet@7:2: detector.threshold: -1 is out of range"},
		{"output:\n  alert_log: /tmp/x\n", "fleet@7:2: output.alert_log: not a fleet setting (each sensor sets its output keys itself; fleet settings may set detector.threshold"},
		{"capture:\n  workers: 2\n", "fleet@7:2: capture.workers: not a fleet setting"},
		{"sensor: {name: x}\n", "fleet@7:1: sensor.name: not a fleet setting"},
		{"allowlist:\n  ja4: [nope]\n", `fleet@7:2: allowlist.ja4[0]: "nope" is not a JA4 fingerprint`},
		{"detector: {threshold: 2, alert_rate: 0.1}\n", "fleet@7:1: detector.alert_rate: set detector.threshold or detector.alert_rate, not both"},
		{"detector: [\n", "fleet@7:2: invalid YAML"},
		{"detector: {treshold: 2}\n", "fleet@7:1: detector.treshold: unknown key (did you mean threshold?)"},
	} {
		_, err := base.WithSettings([]byte(tc.in), "fleet@7")
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %s...", tc.in, err, tc.want)
		}
	}
}

// FuzzWithSettings: any settings document is taken (and the result
// valid) or refused, never a panic.
func FuzzWithSettings(f *testing.F) {
	f.Add([]byte("detector:\n  threshold: 4.5\nallowlist:\n  sni_suffixes: [example.com]\n"))
	f.Add([]byte("detector: {alert_rate: 0.01}"))
	f.Add([]byte("output: {log: x}"))
	base := Default()
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := base.WithSettings(data, "fuzz")
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("taken settings do not validate: %v", err)
		}
		if _, restart := Diff(base, c); len(restart) > 0 {
			t.Fatalf("settings changed restart keys %v", restart)
		}
	})
}
