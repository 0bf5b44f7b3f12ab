package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/internal/testkit"
)

// TestDefaultOnSample holds the README's first command to what it
// promises: with the embedded default model, `tlsentry score -r
// testdata/sample.pcap` alerts on the sample's HTTP, SSH and random-bytes
// flows on port 443 (the evidence saying the client spoke no TLS), on none
// of its TLS 1.3 flows, and its TLS 1.0 flow to a self-signed server gets
// the evidence's reasons (old version, self-signed certificate).
func TestDefaultOnSample(t *testing.T) {
	out, stderr, err := runCmd(t, "score", "-r", sample)
	if err != nil {
		t.Fatalf("score: %v\n%s", err, stderr)
	}
	path := filepath.Join(t.TempDir(), "score.json")
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	checks := map[string][]string{} // flow id: the checks of its alert records
	seen := map[string]bool{}
	for _, r := range testkit.ReadEve(t, path) {
		id := r.Endpoint()
		if r.EventType == "alert" {
			checks[id] = append(checks[id], r.Alert.Metadata.Check...)
			continue
		}
		v := r.Verdict()
		kind := r.AppProto
		if kind == "tls" {
			kind = r.TLSVersion()
		}
		seen[kind] = true
		switch kind {
		case "http", "ssh", "binary":
			if !v.Alert {
				t.Errorf("%s flow: score %.2f below the threshold %.2f", kind, v.Score, v.Threshold)
			}
			if len(v.Reasons) == 0 || !strings.Contains(v.Reasons[0], "not TLS, on port 443") {
				t.Errorf("%s flow: first reason %q", kind, v.Reasons)
			}
		case "TLS 1.3":
			if v.Alert {
				t.Errorf("TLS 1.3 flow alerts: score %.2f, threshold %.2f; reasons %q", v.Score, v.Threshold, v.Reasons)
			}
		case "TLSv1":
			reasons := strings.Join(v.Reasons, "; ")
			if !v.Alert || len(checks[id]) == 0 || !strings.Contains(reasons, "offered TLSv1 at best") || !strings.Contains(reasons, "self-signed certificate") {
				t.Errorf("TLS 1.0 self-signed flow: alert %v, alert checks %v, reasons %s", v.Alert, checks[id], reasons)
			}
		}
	}
	for _, k := range []string{"http", "ssh", "binary", "TLS 1.3", "TLSv1"} {
		if !seen[k] {
			t.Errorf("the sample has no %s flow", k)
		}
	}
}
