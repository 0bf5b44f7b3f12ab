package natsout

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tlsentry/tlsentry/internal/natstest"
)

// testOutput is an Output on a connection to url, with its metrics.
type testOutput struct {
	*Output
	nc  *Conn
	m   *Metrics
	cfg Config
}

func testConfig(url, spoolDir string) Config {
	cfg := DefaultConfig()
	cfg.Servers = []string{url}
	cfg.Records = []string{TypeAlert, TypeFlow}
	cfg.SpoolDir = spoolDir
	cfg.AckTimeout = 2 * time.Second
	return cfg
}

func startOutput(t *testing.T, cfg Config, sensor string) *testOutput {
	t.Helper()
	nc, err := Connect(cfg, sensor, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	o, err := New(cfg, Options{Sensor: sensor, Conn: nc.Conn, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	o.Start(t.Context())
	return &testOutput{Output: o, nc: nc, m: m, cfg: cfg}
}

// line is the test's record n of a type: a JSON object that says which.
func line(typ string, n int) []byte {
	return fmt.Appendf(nil, `{"timestamp":"2026-01-01T00:00:00.000000+0000","event_type":%q,"sensor":"s","n":%d,"pad":%q}`+"\n",
		typ, n, strings.Repeat("p", n%300))
}

// checkExactlyOnce checks that the stream holds records 1..n of typ under
// prefix once each, in order, byte for byte.
func checkExactlyOnce(t *testing.T, msgs []natstest.Msg, prefix, typ string, n int) {
	t.Helper()
	var got []natstest.Msg
	for _, m := range msgs {
		if m.Subject == prefix+"."+typ {
			got = append(got, m)
		}
	}
	ids := map[string]bool{}
	for i, m := range got {
		if ids[m.ID] {
			t.Fatalf("%s: id %s twice", typ, m.ID)
		}
		ids[m.ID] = true
		if i < n && !bytes.Equal(m.Data, bytes.TrimSuffix(line(typ, i+1), []byte("\n"))) {
			t.Fatalf("%s record %d is %.80s", typ, i+1, m.Data)
		}
	}
	if len(got) != n {
		t.Fatalf("%d %s records in the stream, want %d", len(got), typ, n)
	}
}

// TestOutputPublishes: every record reaches the stream once, in order,
// byte for byte, with ids unique to the sensor's run.
func TestOutputPublishes(t *testing.T) {
	srv := natstest.Start(t)
	o := startOutput(t, testConfig(srv.URL(), t.TempDir()), "sensor.one")
	alerts, _ := o.Writer(TypeAlert)
	flows, _ := o.Writer(TypeFlow)
	for i := 1; i <= 3000; i++ {
		alerts.WriteLine(line(TypeAlert, i))
		flows.WriteLine(line(TypeFlow, i))
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if o.Prefix() != "tlsentry.sensor_one" {
		t.Errorf("prefix %q", o.Prefix())
	}
	msgs := natstest.ReadStream(t, srv.URL(), "TLSENTRY", "")
	checkExactlyOnce(t, msgs, o.Prefix(), TypeAlert, 3000)
	checkExactlyOnce(t, msgs, o.Prefix(), TypeFlow, 3000)
	if !strings.HasPrefix(msgs[0].ID, "sensor_one-") {
		t.Errorf("id %q", msgs[0].ID)
	}
	st := o.Stats()
	if st.Published != 6000 || st.Acked != 6000 || st.Dropped != 0 || st.InSpool != 0 {
		t.Errorf("stats %+v", st)
	}
	if v := testutil.ToFloat64(o.m.Acked.WithLabelValues(TypeAlert)); v != 3000 {
		t.Errorf("acked alerts metric %v", v)
	}
}

// TestOutageNothingLostOrDuplicated is the outage test: records
// flow at a steady rate; the server is killed mid-stream and restarted
// 10 s later on the same store. The consumer finds every record once, in
// order; the spool took the records of the outage and drained.
func TestOutageNothingLostOrDuplicated(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 20 s")
	}
	srv := natstest.Start(t)
	cfg := testConfig(srv.URL(), t.TempDir())
	cfg.QueueSize = 256 // the outage's records must reach the spool
	o := startOutput(t, cfg, "s1")
	alerts, _ := o.Writer(TypeAlert)
	flows, _ := o.Writer(TypeFlow)

	var wrote int
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			for range 2 { // about 2000 records of each type a second
				wrote++
				alerts.WriteLine(line(TypeAlert, wrote))
				flows.WriteLine(line(TypeFlow, wrote))
			}
		}
	})
	time.Sleep(3 * time.Second)
	srv.Stop()
	time.Sleep(10 * time.Second)
	spooled := o.Stats().Spooled
	srv.Restart()
	time.Sleep(4 * time.Second)
	close(stop)
	wg.Wait()
	// The spool drains (at the pace the server takes it: slow under the
	// race detector on a busy machine).
	start := time.Now()
	for o.Stats().InSpool > 0 && time.Since(start) < 2*time.Minute {
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("spool drained %v after the writes stopped", time.Since(start).Round(time.Millisecond))
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	st := o.Stats()
	t.Logf("wrote %d of each type; %+v", wrote, st)
	if spooled == 0 || st.Replayed == 0 {
		t.Errorf("the outage's records did not go through the spool: spooled %d during the outage, replayed %d", spooled, st.Replayed)
	}
	if st.InSpool != 0 || st.Dropped != 0 {
		t.Errorf("spool not drained or records dropped: %+v", st)
	}
	msgs := natstest.ReadStream(t, srv.URL(), "TLSENTRY", "")
	checkExactlyOnce(t, msgs, o.Prefix(), TypeAlert, wrote)
	checkExactlyOnce(t, msgs, o.Prefix(), TypeFlow, wrote)
}

// TestSpoolFillsAlertsKept: with no server at all, records go to a small
// spool past its bound; drops are counted, flows go first and every
// alert is kept. A later run, with the server up, sends what the spool
// kept, once each, in order.
func TestSpoolFillsAlertsKept(t *testing.T) {
	srv := natstest.Start(t)
	srv.Stop() // the port is known, nothing listens
	spoolDir := t.TempDir()
	cfg := testConfig(srv.URL(), spoolDir)
	cfg.QueueSize = 16
	cfg.SpoolSizeMB = 1
	o := startOutput(t, cfg, "s2")
	alerts, _ := o.Writer(TypeAlert)
	flows, _ := o.Writer(TypeFlow)
	// About 220 bytes a record: 1 MiB holds about 4700; 2000 alerts and
	// 6000 flows do not fit.
	for i := 1; i <= 6000; i++ {
		flows.WriteLine(line(TypeFlow, i))
		if i%3 == 0 {
			alerts.WriteLine(line(TypeAlert, i/3))
		}
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	st := o.Stats()
	droppedFlows := testutil.ToFloat64(o.m.Dropped.WithLabelValues(TypeFlow, DropSpoolFull))
	droppedAlerts := testutil.ToFloat64(o.m.Dropped.WithLabelValues(TypeAlert, DropSpoolFull))
	t.Logf("%+v; dropped flows %v, alerts %v", st, droppedFlows, droppedAlerts)
	if droppedAlerts != 0 || droppedFlows == 0 || float64(st.Dropped) != droppedFlows {
		t.Fatalf("dropped %v flows and %v alerts (total %d): want flows only", droppedFlows, droppedAlerts, st.Dropped)
	}
	keptFlows := 6000 - int(droppedFlows)
	if st.InSpool != int64(2000+keptFlows) || st.Published != 0 {
		t.Fatalf("spool holds %d, want %d", st.InSpool, 2000+keptFlows)
	}

	// Next start, server up: the spool drains into the stream.
	srv.Restart()
	o2 := startOutput(t, testConfig(srv.URL(), spoolDir), "s2")
	deadline := time.Now().Add(20 * time.Second)
	for o2.Stats().Acked < uint64(2000+keptFlows) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if err := o2.Close(); err != nil {
		t.Fatal(err)
	}
	msgs := natstest.ReadStream(t, srv.URL(), "TLSENTRY", "")
	checkExactlyOnce(t, msgs, o.Prefix(), TypeAlert, 2000)
	// The flows kept are the newest ones, in order.
	var flowNs []int
	for _, m := range msgs {
		if m.Subject == o.Prefix()+"."+TypeFlow {
			var n int
			fmt.Sscanf(string(m.Data[bytes.Index(m.Data, []byte(`"n":`))+4:]), "%d", &n)
			flowNs = append(flowNs, n)
		}
	}
	if len(flowNs) != keptFlows || flowNs[0] != int(droppedFlows)+1 || flowNs[len(flowNs)-1] != 6000 {
		t.Fatalf("%d flows from %d to %d, want %d from %d to 6000", len(flowNs), flowNs[0], flowNs[len(flowNs)-1], keptFlows, int(droppedFlows)+1)
	}
	if st2 := o2.Stats(); st2.Replayed != uint64(2000+keptFlows) || st2.InSpool != 0 {
		t.Errorf("second run %+v", st2)
	}
}
