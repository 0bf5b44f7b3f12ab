package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tlsentry/tlsentry/detector"
	"github.com/tlsentry/tlsentry/internal/natstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
	"github.com/tlsentry/tlsentry/sensor/fleet"
	"github.com/tlsentry/tlsentry/sensor/natsout"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
)

// fleetConfig writes a sensor's configuration for the fleet tests: the
// test model, logs in dir, alerts and flows (with handshake bytes) also
// published to the server at url, fleet watching when watch.
func fleetConfig(t *testing.T, dir, name, url string, watch bool, extra string) string {
	t.Helper()
	cfg := fmt.Sprintf(`sensor:
  name: %s
capture:
  workers: 1
detector:
  model: %s
  batch_timeout: 10ms
output:
  alert_log: alerts.json
  flow_log: flows.json
  include_prefix: true
  include_handshake: true
  log: tlsentry.log
  log_level: debug
  nats:
    servers: [%s]
    records: [alert, flow]
    spool_dir: spool
metrics:
  listen: ""
fleet:
  watch: %t
%s`, name, trainedModelFile(t), url, watch, extra)
	path := filepath.Join(dir, "tlsentry.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// rawLines returns the lines of a file, without their newlines.
func rawLines(t *testing.T, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 4<<20)
	for sc.Scan() {
		out = append(out, bytes.Clone(sc.Bytes()))
	}
	return out
}

// TestFleetThreeSensorsOneStream is the fleet test: three sensors
// replay captures into one server; a consumer finds every alert (and
// flow) of every sensor exactly once, byte for byte the lines of the
// sensor's files, in order. Then a model is trained from the stream's
// flow records.
func TestFleetThreeSensorsOneStream(t *testing.T) {
	srv := natstest.Start(t)
	names := []string{"site-a", "site.b", "site c"}
	dirs := make([]string, len(names))
	var wg sync.WaitGroup
	errs := make([]error, len(names))
	logs := make([]string, len(names))
	for i, name := range names {
		dirs[i] = t.TempDir()
		cfg := fleetConfig(t, dirs[i], name, srv.URL(), false, "")
		capture := filepath.Join(dirs[i], "ssh.pcap")
		os.WriteFile(capture, sshCapture(t, 20+5*i, uint64(40+i), byte(60+i), time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)), 0o644)
		wg.Go(func() {
			_, logs[i], errs[i] = runCmd(t, "run", "-config", cfg, "-r", sample, "-r", capture)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("sensor %s: %v\n%s", names[i], err, logs[i])
		}
	}
	msgs := natstest.ReadStream(t, srv.URL(), "TLSENTRY", "")
	ids := map[string]bool{}
	for _, m := range msgs {
		if ids[m.ID] {
			t.Fatalf("message id %s twice", m.ID)
		}
		ids[m.ID] = true
	}
	totalFlows := 0
	for i, name := range names {
		for _, typ := range []string{"alert", "flow"} {
			want := rawLines(t, filepath.Join(dirs[i], typ+"s.json"))
			subject := "tlsentry." + natsout.SubjectToken(name) + "." + typ
			var got [][]byte
			for _, m := range msgs {
				if m.Subject == subject {
					got = append(got, m.Data)
				}
			}
			if len(got) != len(want) || len(want) == 0 {
				t.Fatalf("%s: %d records in the stream, %d lines in the file", subject, len(got), len(want))
			}
			for k := range want {
				if !bytes.Equal(got[k], want[k]) {
					t.Fatalf("%s record %d differs from the file's line:\n%s\n%s", subject, k, got[k], want[k])
				}
			}
			if typ == "flow" {
				totalFlows += len(want)
			}
			t.Logf("%s: %d records, each once", subject, len(got))
		}
		if !fileContains(filepath.Join(dirs[i], "tlsentry.log"), `"nats_left_in_spool":0`) {
			t.Errorf("%s: the stop line does not say the spool is empty", name)
		}
	}

	// Training from the fleet: every flow record comes back as a flow.
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	flows, st, err := fleet.ReadFlows(t.Context(), nc, fleet.FlowQuery{Stream: "TLSENTRY", Subject: "tlsentry.*.flow"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != totalFlows || len(flows)+st.NoPayload != totalFlows || st.NoRaw+st.Bad != 0 || len(st.Sensors) != 3 {
		t.Fatalf("read %d flows of %d records (%+v), want %d", len(flows), st.Records, st, totalFlows)
	}
	out := filepath.Join(t.TempDir(), "fleet.model")
	stdout, stderr, err := runCmd(t, "train", "-stream", "-server", srv.URL(), "-config", filepath.Join(dirs[0], "tlsentry.yaml"),
		"-out", out, "-epochs", "1", "-trees", "20")
	if err != nil {
		t.Fatalf("train -stream: %v\n%s", err, stderr)
	}
	m, err := detector.LoadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if src := m.File.Meta.Training.Sources; len(src) != 1 || !strings.HasPrefix(src[0], "stream:") {
		t.Errorf("model trained on %v", src)
	}
	t.Logf("trained from the stream: %s", strings.SplitN(stdout, "\n", 2)[0])
}

// feedSource is a daemon's input in the fleet tests: capture files read
// on demand, until the daemon stops.
type feedSource struct {
	files chan string
	read  chan struct{}
}

func (f *feedSource) Run(ctx context.Context, shards *pipeline.Shards) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case path := <-f.files:
			if err := (&pipeline.FileInput{Paths: []string{path}}).Run(ctx, shards); err != nil {
				return err
			}
			shards.Tables().Flush()
			shards.Done(0)
			f.read <- struct{}{}
		}
	}
}

// liveSensor is a daemon running in the test, watching its fleet.
type liveSensor struct {
	name, dir string
	d         *daemon
	src       *feedSource
	done      chan error
	stderr    bytes.Buffer
}

func startSensor(t *testing.T, ctx context.Context, name, url string) *liveSensor {
	t.Helper()
	s := &liveSensor{name: name, dir: t.TempDir(), src: &feedSource{files: make(chan string), read: make(chan struct{})}, done: make(chan error, 1)}
	cfg := fleetConfig(t, s.dir, name, url, true, "")
	var err error
	s.d, err = startDaemon(daemonOptions{configPath: cfg, files: []string{"(fed by the test)"}, stdout: &s.stderr, stderr: &s.stderr})
	if err != nil {
		t.Fatal(err)
	}
	s.d.source = s.src
	go func() { s.done <- s.d.run(ctx) }()
	return s
}

// feed has the sensor read a capture and waits until its flows are
// written (n flow lines in all so far).
func (s *liveSensor) feed(t *testing.T, capture string, n int) {
	t.Helper()
	s.src.files <- capture
	<-s.src.read
	testkit.WaitFor(t, s.name+"'s flow lines", func() bool { return lineCount(filepath.Join(s.dir, "flows.json")) >= n })
}

// lineCount counts the whole lines of a file being written.
func lineCount(path string) int {
	data, _ := os.ReadFile(path)
	return bytes.Count(data, []byte("\n"))
}

func (s *liveSensor) revision(k fleet.Kind) uint64 {
	return uint64(testutil.ToFloat64(s.d.nats.fleet.m.Revision.WithLabelValues(string(k))))
}

func (s *liveSensor) refused(k fleet.Kind) float64 {
	return testutil.ToFloat64(s.d.nats.fleet.m.Refused.WithLabelValues(string(k)))
}

// waitRevision waits until every sensor runs revision rev of k and says
// how long that took.
func waitRevision(t *testing.T, sensors []*liveSensor, k fleet.Kind, rev uint64) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := start.Add(20 * time.Second)
	for _, s := range sensors {
		for s.revision(k) != rev {
			if time.Now().After(deadline) {
				t.Fatalf("%s runs %s revision %d, not %d, 20 s after the push; its log:\n%s", s.name, k, s.revision(k), rev,
					tail(filepath.Join(s.dir, "tlsentry.log")))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return time.Since(start)
}

func tail(path string) string {
	data, _ := os.ReadFile(path)
	if len(data) > 3000 {
		data = data[len(data)-3000:]
	}
	return string(data)
}

// TestFleetPushModelAndSettings is the push test: three running
// sensors take a pushed threshold, then a pushed model, within seconds
// (the records they write after say so); a corrupt model is refused by
// the push command and, pushed anyway, by every sensor, which keeps the
// model it runs.
func TestFleetPushModelAndSettings(t *testing.T) {
	srv := natstest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	var sensors []*liveSensor
	for _, name := range []string{"s1", "s2", "s3"} {
		sensors = append(sensors, startSensor(t, ctx, name, srv.URL()))
	}
	defer func() {
		cancel()
		for _, s := range sensors {
			if err := <-s.done; err != nil {
				t.Errorf("%s: %v", s.name, err)
			}
		}
	}()
	start := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	captures := func(round int) string {
		p := filepath.Join(t.TempDir(), "ssh.pcap")
		os.WriteFile(p, sshCapture(t, 4, uint64(70+round), byte(80+round), start.Add(time.Duration(round)*time.Hour)), 0o644)
		return p
	}
	// checkRecords feeds a capture to every sensor and checks the flow
	// lines it writes name model and threshold.
	flowsSoFar := 0
	checkRecords := func(round int, model string, threshold float64) {
		t.Helper()
		p := captures(round)
		flowsSoFar += 4
		for _, s := range sensors {
			s.feed(t, p, flowsSoFar)
			lines := testkit.ReadEve(t, filepath.Join(s.dir, "flows.json"))
			for _, l := range lines[flowsSoFar-4:] {
				if v := l.Verdict(); v == nil || v.Model != model || v.Threshold != threshold {
					t.Fatalf("round %d, %s: flow scored %+v, want model %s at %v", round, s.name, v, model, threshold)
				}
			}
		}
	}
	local, err := detector.LoadFile(trainedModelFile(t))
	if err != nil {
		t.Fatal(err)
	}
	checkRecords(0, local.Name(), local.File.Meta.Threshold)

	// A threshold for the whole fleet.
	settings := filepath.Join(t.TempDir(), "fleet.yaml")
	os.WriteFile(settings, []byte("detector:\n  threshold: 0.000001\n"), 0o644)
	out, errOut, err := runCmd(t, "config", "push", "-server", srv.URL(), settings)
	if err != nil {
		t.Fatalf("config push: %v\n%s", err, errOut)
	}
	var rev uint64
	fmt.Sscanf(out[strings.LastIndex(out, "revision ")+len("revision "):], "%d", &rev)
	took := waitRevision(t, sensors, fleet.KindSettings, rev)
	t.Logf("threshold revision %d running on every sensor %v after the push", rev, took)
	checkRecords(1, local.Name(), 0.000001)

	// A model for the whole fleet: the embedded default.
	modelPath := "../../detector/default.model"
	other, err := detector.LoadFile(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, err = runCmd(t, "model", "push", "-server", srv.URL(), modelPath)
	if err != nil {
		t.Fatalf("model push: %v\n%s", err, errOut)
	}
	fmt.Sscanf(out[strings.LastIndex(out, "revision ")+len("revision "):], "%d", &rev)
	took = waitRevision(t, sensors, fleet.KindModel, rev)
	t.Logf("model %s (revision %d) running on every sensor %v after the push", other.Name(), rev, took)
	checkRecords(2, other.Name(), 0.000001)

	// A corrupt model: the command refuses it...
	data, _ := os.ReadFile(modelPath)
	bad := bytes.Clone(data)
	bad[len(bad)/2] ^= 0xff
	badPath := filepath.Join(t.TempDir(), "bad.model")
	os.WriteFile(badPath, bad, 0o644)
	if _, _, err := runCmd(t, "model", "push", "-server", srv.URL(), badPath); err == nil {
		t.Fatal("model push took a corrupt model")
	}
	// ...and pushed anyway, every sensor refuses it and keeps its model.
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	f, err := fleet.Open(t.Context(), nc, fleet.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	badRev, err := f.PushModel(t.Context(), bad, "corrupt")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sensors {
		testkit.WaitFor(t, s.name+" refusing the corrupt model", func() bool { return s.refused(fleet.KindModel) == 1 })
		if s.revision(fleet.KindModel) != rev {
			t.Errorf("%s runs model revision %d after refusing %d, want %d", s.name, s.revision(fleet.KindModel), badRev, rev)
		}
		// The refusal is counted before its log line is written: a loaded
		// machine may show the count first.
		testkit.WaitFor(t, s.name+" logging the refusal", func() bool {
			return fileContains(filepath.Join(s.dir, "tlsentry.log"), "fleet revision refused: the running one stays")
		})
	}
	checkRecords(3, other.Name(), 0.000001)

	// Settings that do not apply (an alert rate the model has no
	// threshold for) are refused too; removing the fleet's settings goes
	// back to each sensor's file (the model's own threshold).
	os.WriteFile(settings, []byte("detector:\n  alert_rate: 0.0123\n"), 0o644)
	if _, errOut, err := runCmd(t, "config", "push", "-server", srv.URL(), settings); err != nil {
		t.Fatalf("config push: %v\n%s", err, errOut)
	}
	for _, s := range sensors {
		testkit.WaitFor(t, s.name+" refusing the alert rate", func() bool { return s.refused(fleet.KindSettings) == 1 })
	}
	if _, errOut, err := runCmd(t, "config", "remove", "-server", srv.URL()); err != nil {
		t.Fatalf("config remove: %v\n%s", err, errOut)
	}
	for _, s := range sensors {
		testkit.WaitFor(t, s.name+" dropping the fleet's settings", func() bool { return s.revision(fleet.KindSettings) == 0 })
	}
	checkRecords(4, other.Name(), other.File.Meta.Threshold)
}

// TestCheckConfigNATS: check-config finds what the NATS output would
// refuse at start: a stream that does not take the sensor's subjects
// (the default prefix follows the sensor name), a credentials file that
// cannot be read.
func TestCheckConfigNATS(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tlsentry.yaml")
	os.WriteFile(path, []byte(fmt.Sprintf(`sensor: {name: edge.1}
detector: {model: %s}
output:
  alert_log: %s
  nats:
    servers: [nats://127.0.0.1:4222]
    creds: missing.creds
    stream_subjects: [sites.>]
`, trainedModelFile(t), filepath.Join(dir, "alerts.json"))), 0o644)
	_, errOut, err := runCmd(t, "check-config", "-offline", path)
	if err == nil {
		t.Fatal("check-config passed")
	}
	for _, want := range []string{
		"output.nats.subject_prefix: natsout: records go to tlsentry.edge_1.*, which the stream's subjects [sites.>] do not take",
		"output.nats.creds: open " + filepath.Join(dir, "missing.creds"),
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("check-config says\n%s\nwithout %q", errOut, want)
		}
	}
}
