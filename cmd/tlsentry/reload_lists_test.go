package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

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
	// The reload's summary lists the model among what it applied.
	if !strings.Contains(d.logText(t), `"applied":["detector.model"]`) {
		t.Errorf("the reload that swapped the model does not list it as applied:\n%s", d.logText(t))
	}

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

// TestDaemonBlocklistReloadAndMetrics: the entries gauge follows the lists
// in effect: set at start, changed by a reload that reads a longer file,
// kept (with the lists themselves) by a reload refused for a bad file or
// a later step's failure.
func TestDaemonBlocklistReloadAndMetrics(t *testing.T) {
	dir := t.TempDir()
	list := writeFile(t, filepath.Join(dir, "ja3.csv"), "# ja3_md5,Firstseen,Lastseen,Listingreason\nb386946a5a44d1ddcc843bc75336dfce,2017-07-14 18:08:15,2019-07-27 20:42:54,Dridex\n")
	sections := map[string]string{"blocklist": "  ja3: [ja3.csv]\n  sni: [names.txt]\n"}
	writeFile(t, filepath.Join(dir, "names.txt"), "evil.example\n")
	path := writeConfig(t, dir, sections)
	d, err := startDaemon(daemonOptions{configPath: path, files: []string{sample}, stdout: os.Stdout, stderr: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	gauge := func(kind string) float64 { return testutil.ToFloat64(d.metrics.BlocklistEntries.WithLabelValues(kind)) }
	if gauge("ja3") != 1 || gauge("sni") != 1 || gauge("cert_sha1") != 0 {
		t.Errorf("at start: ja3 %v, sni %v, cert_sha1 %v", gauge("ja3"), gauge("sni"), gauge("cert_sha1"))
	}
	writeFile(t, list, "e7d705a3286e19ea42f587b344ee6865\nb386946a5a44d1ddcc843bc75336dfce\n")
	d.reload()
	if gauge("ja3") != 2 || d.pipeline.Policy().Block.Len("ja3") != 2 {
		t.Errorf("after the reload: gauge %v, lists %d", gauge("ja3"), d.pipeline.Policy().Block.Len("ja3"))
	}
	good := d.pipeline.Policy().Block
	writeFile(t, list, "e7d705a3286e19ea42f587b344ee6865\nb386946a5a44d1ddcc843bc75336dfce\nnope\n")
	d.reload()
	if gauge("ja3") != 2 || d.pipeline.Policy().Block != good {
		t.Errorf("a refused reload changed the lists: gauge %v", gauge("ja3"))
	}
	writeFile(t, list, "e7d705a3286e19ea42f587b344ee6865\n")
	if err := os.Mkdir(filepath.Join(dir, "a-directory"), 0o755); err != nil {
		t.Fatal(err)
	}
	sections["output"] = "  alert_log: alerts.json\n  flow_log: a-directory\n"
	writeConfig(t, dir, sections)
	d.reload()
	if gauge("ja3") != 2 || d.pipeline.Policy().Block != good {
		t.Errorf("a reload refused at the flow log changed the lists: gauge %v", gauge("ja3"))
	}
}
