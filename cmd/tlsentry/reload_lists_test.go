package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/internal/labset"
	"github.com/tlsentry/tlsentry/internal/testkit"
	"github.com/tlsentry/tlsentry/internal/testmodel"
)

// TestRunReloadsBlocklists runs the daemon on benign lab TLS flows at a
// threshold none reaches, with a server name list that names nothing
// they use. The list file changed and SIGHUP: the next flows to names
// under the listed domain alert, with the list's signature and reason. A
// bad list file and SIGHUP: the reload is refused, naming the file and
// line, and the lists in effect stay (the flows after it still alert).
func TestRunReloadsBlocklists(t *testing.T) {
	dir := t.TempDir()
	list := writeFile(t, filepath.Join(dir, "names.txt"), "nothing.invalid\n")
	d := startFIFODaemon(t, dir, map[string]string{
		"detector":  "  model: " + trainedModelFile(t) + "\n  batch_timeout: 10ms\n  threshold: 1000\n",
		"blocklist": "  sni: [names.txt]\n",
	})
	start := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	d.feed(t, labCapture(t, labset.Benign, 6, 51, 80, start), 6)

	writeFile(t, list, "# domain,reason\nexample.com,lab block list\n")
	d.signal(t, syscall.SIGHUP, `"msg":"configuration reloaded"`)
	d.feed(t, labCapture(t, labset.Benign, 6, 52, 81, start.Add(time.Minute)), 12)

	writeFile(t, list, "example.com\nbad name.example\n")
	d.signal(t, syscall.SIGHUP, "configuration reload refused")
	if want := list + `:2: \"bad name.example\" is not a server name`; !strings.Contains(d.logText(t), want) {
		t.Errorf("the refusal does not say %s:\n%s", want, d.logText(t))
	}
	d.feed(t, labCapture(t, labset.Benign, 6, 53, 82, start.Add(2*time.Minute)), 18)
	d.stop(t)

	listed := map[string]bool{} // flows that must alert: on the list once it was loaded
	for _, r := range testkit.ReadEve(t, filepath.Join(dir, "flows.json")) {
		onList := r.TLS != nil && (r.TLS.SNI == "example.com" || strings.HasSuffix(r.TLS.SNI, ".example.com"))
		if onList && !strings.HasPrefix(r.SrcIP, "10.80.") {
			listed[r.Endpoint()] = true
		}
		if r.Verdict().Alert != listed[r.Endpoint()] {
			t.Errorf("%s (%s): alert %v", r.Endpoint(), r.TLS.SNI, r.Verdict().Alert)
		}
	}
	alerted := map[string]bool{}
	for _, a := range testkit.ReadEve(t, filepath.Join(dir, "alerts.json")) {
		if a.Alert.SignatureID != 8100032 {
			continue
		}
		alerted[a.Endpoint()] = true
		if !strings.HasSuffix(a.Verdict().Finding, "is on block list names.txt line 2: lab block list") || a.Alert.Severity != 1 {
			t.Errorf("%s: finding %q, severity %d", a.Endpoint(), a.Verdict().Finding, a.Alert.Severity)
		}
	}
	nets := map[string]bool{}
	for id := range listed {
		nets[strings.Join(strings.Split(id, ".")[:2], ".")] = true
		if !alerted[id] {
			t.Errorf("%s is on the list but has no block list alert", id)
		}
	}
	if len(alerted) != len(listed) || !nets["10.81"] || !nets["10.82"] {
		t.Errorf("block list alerts on %v, want %v (flows both after the reload and after the refused one)", alerted, listed)
	}
}

// TestRunReloadsModel replaces the daemon's model file and sends SIGHUP:
// the flows after it are scored by the new model. A corrupt model file
// and SIGHUP: the reload is refused and the new model keeps scoring.
func TestRunReloadsModel(t *testing.T) {
	dir := t.TempDir()
	first, err := testmodel.Hybrid()
	if err != nil {
		t.Fatal(err)
	}
	f, err := model.Decode(first)
	if err != nil {
		t.Fatal(err)
	}
	f.Meta.Created = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) // the same model in another file: another id
	second, err := f.Encode()
	if err != nil {
		t.Fatal(err)
	}
	secondName := "hybrid/" + f.ID
	path := filepath.Join(dir, "site.model")
	if err := os.WriteFile(path, first, 0o644); err != nil {
		t.Fatal(err)
	}
	d := startFIFODaemon(t, dir, map[string]string{"detector": "  model: site.model\n  batch_timeout: 10ms\n  threshold: 1000\n"})
	start := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	d.feed(t, sshCapture(t, 3, 61, 90, start), 3)
	firstName := testkit.ReadEve(t, filepath.Join(dir, "flows.json"))[0].Verdict().Model

	if err := os.WriteFile(path, second, 0o644); err != nil {
		t.Fatal(err)
	}
	d.signal(t, syscall.SIGHUP, `"msg":"model reloaded"`)
	d.feed(t, sshCapture(t, 3, 62, 91, start.Add(time.Minute)), 6)

	if err := os.WriteFile(path, second[:len(second)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	d.signal(t, syscall.SIGHUP, "configuration reload refused")
	if !strings.Contains(d.logText(t), "detector.model") {
		t.Errorf("the refusal does not name detector.model:\n%s", d.logText(t))
	}
	d.feed(t, sshCapture(t, 3, 63, 92, start.Add(2*time.Minute)), 9)
	d.stop(t)

	if firstName == secondName || !strings.HasPrefix(firstName, "hybrid/") {
		t.Fatalf("models %q and %q", firstName, secondName)
	}
	for _, r := range testkit.ReadEve(t, filepath.Join(dir, "flows.json")) {
		want := secondName
		if strings.HasPrefix(r.SrcIP, "10.90.") {
			want = firstName
		}
		if got := r.Verdict().Model; got != want {
			t.Errorf("%s scored by %s, want %s", r.Endpoint(), got, want)
		}
	}
}
