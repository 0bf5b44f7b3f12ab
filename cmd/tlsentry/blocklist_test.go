package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/internal/testkit"
)

// scoreRecords runs score with args and reads its records back.
func scoreRecords(t *testing.T, args ...string) []testkit.EveLine {
	t.Helper()
	out, stderr, err := runCmd(t, append([]string{"score", "-r", sample}, args...)...)
	if err != nil {
		t.Fatalf("score: %v\n%s", err, stderr)
	}
	path := filepath.Join(t.TempDir(), "score.json")
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return testkit.ReadEve(t, path)
}

// TestScoreBlocklist puts the JA3 of one of the sample's TLS 1.3 flows
// (none of which alert by score) on a list in SSLBL's layout, and a
// server name of another flow's domain on a list named by -config: at a
// threshold no flow reaches, exactly those flows alert, each with its
// list's signature (severity 1) and reason, the list's hit first; the
// allowlist still wins.
func TestScoreBlocklist(t *testing.T) {
	var ja3, sniFlow string
	ja3Flows := map[string]bool{}
	records := scoreRecords(t, "-threshold", "1000")
	for _, r := range records {
		if r.EventType == "alert" {
			t.Fatalf("an alert at threshold 1000: %+v", r.Alert)
		}
		if r.TLSVersion() == "TLS 1.3" && r.TLS.JA3 != nil && ja3 == "" {
			ja3 = r.TLS.JA3.Hash
		}
	}
	for _, r := range records {
		switch {
		case r.TLS != nil && r.TLS.JA3 != nil && r.TLS.JA3.Hash == ja3:
			ja3Flows[r.Endpoint()] = true
		case r.TLS != nil && strings.HasSuffix(r.TLS.SNI, ".example.org") && sniFlow == "":
			sniFlow = r.Endpoint()
		}
	}
	if ja3 == "" || sniFlow == "" {
		t.Fatalf("the sample has no TLS 1.3 flow with a JA3 (%q) or no flow to a name under example.org (%q)", ja3, sniFlow)
	}
	dir := t.TempDir()
	ja3List := filepath.Join(dir, "ja3_fingerprints.csv")
	writeFile(t, ja3List, "# abuse.ch-style JA3 list\n#\n# ja3_md5,Firstseen,Lastseen,Listingreason\n"+
		"b386946a5a44d1ddcc843bc75336dfce,2017-07-14 18:08:15,2019-07-27 20:42:54,Dridex\n"+
		ja3+",2026-11-01 00:00:00,2026-11-01 00:00:00,Test C&C\n")
	writeFile(t, filepath.Join(dir, "names.txt"), "example.org # lab block list\n")
	cfg := writeFile(t, filepath.Join(dir, "tlsentry.yaml"), "blocklist:\n  sni: [names.txt]\nalerts:\n  rate_limit: []\n")

	alerted := map[string]bool{}
	for _, r := range scoreRecords(t, "-threshold", "1000", "-config", cfg, "-blocklist", ja3List) {
		id := r.Endpoint()
		if r.EventType != "alert" {
			if v := r.Verdict(); v != nil && v.Alert != (ja3Flows[id] || id == sniFlow) {
				t.Errorf("%s: alert %v", id, v.Alert)
			}
			continue
		}
		alerted[id] = true
		v := r.Verdict()
		switch {
		case ja3Flows[id] && r.Alert.SignatureID == 8100030:
			want := fmt.Sprintf("JA3 %s is on block list ja3_fingerprints.csv line 5: Test C&C", ja3)
			if r.Alert.Severity != 1 || v.Finding != want || v.Reasons[0] != want || r.Alert.Metadata.Check[0] != "list.ja3" {
				t.Errorf("%s: severity %d, finding %q, reasons %q\nwant %q", id, r.Alert.Severity, v.Finding, v.Reasons, want)
			}
		case id == sniFlow && r.Alert.SignatureID == 8100032:
			if r.Alert.Severity != 1 || !strings.HasSuffix(v.Finding, "(under example.org) is on block list names.txt line 1: lab block list") {
				t.Errorf("%s: severity %d, finding %q", id, r.Alert.Severity, v.Finding)
			}
		case ja3Flows[id] || id == sniFlow:
			if r.Alert.Severity > 2 { // the model's own findings come along when they are strong enough alone
				t.Errorf("%s: a side finding %d of severity %d", id, r.Alert.SignatureID, r.Alert.Severity)
			}
		default:
			t.Errorf("%s alerts (%d): on no list", id, r.Alert.SignatureID)
		}
	}
	if len(alerted) != len(ja3Flows)+1 {
		t.Errorf("alerts on %v, want the %d flows of JA3 %s and %s", alerted, len(ja3Flows), ja3, sniFlow)
	}

	// The allowlist wins over the block lists.
	allow := writeFile(t, filepath.Join(dir, "allow.yaml"), "blocklist:\n  sni: [names.txt]\nallowlist:\n  sni_suffixes: [example.org]\n  ja3: ["+ja3+"]\n")
	for _, r := range scoreRecords(t, "-threshold", "1000", "-config", allow, "-blocklist", "ja3="+ja3List) {
		if r.EventType == "alert" {
			t.Errorf("%s alerts though allowed", r.Endpoint())
		}
		if id := r.Endpoint(); (ja3Flows[id] || id == sniFlow) && r.Verdict().Suppressed == "" {
			t.Errorf("%s: listed and allowed, but not counted as suppressed", id)
		}
	}
}

// A bad list is refused with its file and line, and nothing is scored.
func TestScoreRefusesBadBlocklist(t *testing.T) {
	dir := t.TempDir()
	bad := writeFile(t, filepath.Join(dir, "bad.csv"), "# ja3_md5,Listingreason\nb386946a5a44d1ddcc843bc75336dfce,ok\nnot-a-hash,x\n")
	out, _, err := runCmd(t, "score", "-r", sample, "-blocklist", bad)
	want := bad + `:3: "not-a-hash" is not a JA3 hash (32 hex digits)`
	if err == nil || !strings.Contains(err.Error(), want) || out != "" {
		t.Errorf("score = %v (%d bytes out), want %s", err, len(out), want)
	}
	cfg := writeFile(t, filepath.Join(dir, "tlsentry.yaml"), "blocklist:\n  sni: [missing.txt]\n")
	if _, _, err := runCmd(t, "score", "-r", sample, "-config", cfg); err == nil || !strings.Contains(err.Error(), "missing.txt: no such file") ||
		!strings.Contains(err.Error(), "tlsentry.yaml:2: blocklist.sni[0]: block list: stat "+filepath.Join(dir, "missing.txt")+": no such file") {
		t.Errorf("score with a missing list: %v", err)
	}
}

func writeFile(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// check-config reads the block lists as run does: it counts their
// entries by kind, and a bad line refuses the file at its key, with the
// list's file and line (with -no-model too).
func TestCheckConfigBlocklists(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "sslblacklist.csv"), "# Listingdate,SHA1,Listingreason\n"+
		"2024-09-02 05:19:10,b785d1a9e5784703b98a96698ad05dff5e07229a,DCRat C&C\n"+
		"2024-08-30 13:46:12,6bef207908bfad6b19580067ce770bc820d3d2ef,CobaltStrike C&C\n")
	writeFile(t, filepath.Join(dir, "names.txt"), "evil.example\n")
	cfg := writeFile(t, filepath.Join(dir, "tlsentry.yaml"), "blocklist:\n  cert_sha1: [sslblacklist.csv]\n  sni: [names.txt]\n")
	out, errOut, err := runCmd(t, "check-config", "-offline", cfg)
	if err != nil || !strings.Contains(out, "blocklist: 0 ja3, 0 ja4, 2 cert_sha1, 1 sni") {
		t.Errorf("check-config: %v\n%s%s", err, out, errOut)
	}
	writeFile(t, filepath.Join(dir, "names.txt"), "evil.example\n-\xff-\n")
	for _, args := range [][]string{{"check-config", "-offline", cfg}, {"check-config", "-offline", "-no-model", cfg}} {
		_, errOut, err := runCmd(t, args...)
		want := "tlsentry.yaml:3: blocklist.sni[0]: " + filepath.Join(dir, "names.txt") + ":2: not text (invalid UTF-8 or a NUL byte): not a block list"
		if err == nil || !strings.Contains(errOut, want) {
			t.Errorf("%v: %v\n%s\nwant %s", args, err, errOut, want)
		}
	}
}
