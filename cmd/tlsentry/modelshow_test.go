package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/detector"
)

const checksDocPath = "../../docs/checks.md"

// TestChecksDoc: docs/checks.md is the embedded default's evidence table
// as `tlsentry model show -markdown` prints it (-update rewrites it).
func TestChecksDoc(t *testing.T) {
	out, stderr, err := runCmd(t, "model", "show", "-markdown")
	if err != nil {
		t.Fatalf("model show -markdown: %v (%s)", err, stderr)
	}
	if *updateGolden {
		if err := os.WriteFile(checksDocPath, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(checksDocPath)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Fatalf("docs/checks.md differs from `tlsentry model show -markdown` (go test ./cmd/tlsentry -run TestChecksDoc -update rewrites it)")
	}
}

// TestModelShowStatesTheWeights: the text table gives each check's rate
// and weight as the scorer weighs it, era by era, and the breaches at the
// model's threshold.
func TestModelShowStatesTheWeights(t *testing.T) {
	text, stderr, err := runCmd(t, "model", "show")
	if err != nil {
		t.Fatalf("model show: %v (%s)", err, stderr)
	}
	m, err := detector.Default()
	if err != nil {
		t.Fatal(err)
	}
	ev, err := m.Evidence()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, fmt.Sprintf("model %s: threshold %.2f", m.Name(), m.Threshold())) {
		t.Errorf("no summary line for %s:\n%s", m.Name(), text)
	}
	if want := fmt.Sprintf("generic TLDs known (captures that used them): .com %d, ", ev.KnownTLDs["com"]); ev.KnownTLDs["com"] == 0 || !strings.Contains(text, want) {
		t.Errorf("no line %q:\n%s", want, text)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); len(f) > 3 {
			rows[f[0]] = line
		}
	}
	for _, c := range ev.Calibrations() {
		line, ok := rows[c.ID]
		if !ok {
			t.Errorf("check %s not listed", c.ID)
			continue
		}
		if want := rateText(c.Whole.Rate) + "  " + bitsText(c.Whole); !strings.Contains(strings.Join(strings.Fields(line), "  "), strings.Join(strings.Fields(want), "  ")) {
			t.Errorf("%s: %q lacks %q", c.ID, line, want)
		}
	}
	// The default's eras: TLS 1.0 at best weighs its own rate since
	// 2020, where no corpus hello had it; a malformed hello is a breach
	// that weighs the threshold, and alerts as a malformed handshake.
	for _, c := range ev.Calibrations() {
		switch c.ID {
		case "version.tls10":
			if len(c.Eras) != 2 || c.Eras[1].From != 1 || c.Eras[1].Rate.Fired != 0 || !strings.Contains(rows[c.ID], eraText(c.Eras[1])) {
				t.Errorf("version.tls10 since 2020: %+v, line %q", c.Eras, rows[c.ID])
			}
		case "hs.client_malformed":
			if !c.Whole.Decides || c.Whole.Bits != m.Threshold() || !strings.Contains(rows[c.ID], "breach") || !strings.Contains(rows[c.ID], "8100003") {
				t.Errorf("hs.client_malformed: %+v, line %q", c.Whole, rows[c.ID])
			}
		}
	}
}

// TestModelShowRefusesBadFiles: a file that is no model, or is missing,
// is a clear error, not a table.
func TestModelShowRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.model")
	if err := os.WriteFile(bad, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{bad}, {filepath.Join(dir, "missing.model")}, {"a", "b"}} {
		out, _, err := runCmd(t, append([]string{"model", "show"}, args...)...)
		if err == nil || out != "" {
			t.Errorf("model show %v: err %v, printed %q", args, err, out)
		}
		if len(args) == 2 && !errors.Is(err, errUsage) {
			t.Errorf("two files: %v, want a usage error", err)
		}
	}
}

// TestModelShowOfTrainedModels: a site's hybrid model counts what it
// learned is the site's own; a kind without evidence says so, and has
// no checks table to print.
func TestModelShowOfTrainedModels(t *testing.T) {
	dir := t.TempDir()
	for _, kind := range []string{"hybrid", "cnn-iforest"} {
		p := filepath.Join(dir, kind+".model")
		args := []string{"train", "-r", sample, "-r", sample, "-r", sample, "-epochs", "1", "-batch", "8", "-trees", "10", "-model", kind, "-out", p}
		if _, stderr, err := runCmd(t, args...); err != nil {
			t.Fatalf("train %s: %v\n%s", kind, err, stderr)
		}
		out, stderr, err := runCmd(t, "model", "show", p)
		if err != nil {
			t.Fatalf("model show %s: %v\n%s", kind, err, stderr)
		}
		if !strings.Contains(out, "model "+kind+"/") || !strings.Contains(out, "trained on ") {
			t.Errorf("%s: no summary:\n%s", kind, out)
		}
		_, _, mdErr := runCmd(t, "model", "show", "-markdown", p)
		switch kind {
		case "hybrid":
			if !strings.Contains(out, "this network's training") || !strings.Contains(out, "known to this model's site:") || !strings.Contains(out, "sni.missing") || mdErr != nil {
				t.Errorf("hybrid: -markdown %v, text:\n%s", mdErr, out)
			}
		default:
			if !strings.Contains(out, "no evidence checks") || strings.Contains(out, "sni.missing") || mdErr == nil {
				t.Errorf("%s: -markdown %v, text:\n%s", kind, mdErr, out)
			}
		}
	}
}
