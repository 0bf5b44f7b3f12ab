package pipeline_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tlsentry/tlsentry/detector/beacon"
	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/testkit"
	"github.com/tlsentry/tlsentry/sensor/allowlist"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
	"github.com/tlsentry/tlsentry/sensor/ratelimit"
	"github.com/tlsentry/tlsentry/sensor/signature"
	"github.com/tlsentry/tlsentry/sensor/verdict"
)

var (
	beaconClient = netip.MustParseAddr("10.9.0.5")
	beaconServer = netip.MustParseAddrPort("203.0.113.7:443")
)

// conn is one generated connection: when, between whom, saying what.
type conn struct {
	at             time.Time
	client, server netip.AddrPort
	conv           capgen.Conversation
}

// beaconTraffic is a beacon (n connections from beaconClient to
// beaconServer, SNI c2.example, every period ± jitter, uniform), 10
// clients polling one popular server every 30 s, and 40 clients calling
// at random; with empty set, the beacon's connections carry no payload
// (SYN, SYN-ACK, ACK, FIN: a server that no longer answers in TLS).
func beaconTraffic(t *testing.T, n int, period time.Duration, jitter float64, empty bool) []conn {
	t.Helper()
	start := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(16, 13))
	c2, popular, other := tlsConv(t, "c2.example"), tlsConv(t, "updates.example"), tlsConv(t, "www.example")
	if empty {
		c2 = capgen.Conversation{}
	}
	var out []conn
	at := start
	for i := range n {
		at = at.Add(time.Duration(float64(period) * (1 + jitter*(2*r.Float64()-1))))
		out = append(out, conn{at, netip.AddrPortFrom(beaconClient, uint16(40000+i)), beaconServer, c2})
	}
	span := at.Sub(start)
	out = append(out, background(r, start, span, popular, other)...)
	return out
}

func tlsConv(t *testing.T, sni string) capgen.Conversation {
	t.Helper()
	cert, err := capgen.SelfSignedCert(capgen.CertOptions{CommonName: sni, DNSNames: []string{sni}, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	cc, sc := capgen.TLSConfigs(cert, sni)
	conv, err := capgen.TLSConversation(context.Background(), cc, sc, capgen.TLSOptions{
		ClientData: []byte("GET /task HTTP/1.1\r\n\r\n"), ServerData: []byte("HTTP/1.1 200 OK\r\n\r\nsleep")})
	if err != nil {
		t.Fatal(err)
	}
	return conv
}

// writeConns writes the connections as one capture, in time order.
// background is a network's ordinary traffic over span from start: 10
// clients polling one popular server every 30 s and 40 clients calling
// another at random, one to six times.
func background(r *rand.Rand, start time.Time, span time.Duration, popular, other capgen.Conversation) []conn {
	var out []conn
	for c := range 10 {
		client := netip.AddrFrom4([4]byte{10, 3, 0, byte(c + 1)})
		for i := range int(span / (30 * time.Second)) {
			at := start.Add(time.Duration(i)*30*time.Second + time.Duration(c)*time.Second)
			out = append(out, conn{at, netip.AddrPortFrom(client, uint16(30000+i)), netip.MustParseAddrPort("198.51.100.1:443"), popular})
		}
	}
	for c := range 40 {
		client := netip.AddrFrom4([4]byte{10, 4, 0, byte(c + 1)})
		for i := range 1 + r.IntN(6) {
			at := start.Add(time.Duration(r.Int64N(int64(span))))
			out = append(out, conn{at, netip.AddrPortFrom(client, uint16(20000+i)), netip.MustParseAddrPort("192.0.2.80:443"), other})
		}
	}
	return out
}

func writeConns(t *testing.T, conns []conn) string {
	t.Helper()
	var flows [][]capgen.Packet
	for i, c := range conns {
		spec := capgen.FlowSpec{Client: c.client, Server: c.server, Start: c.at, ClientISN: uint32(1000 * (i + 1)),
			ServerISN: uint32(7000 * (i + 1)), Handshake: true, Close: capgen.CloseFIN, ACKs: true}
		pkts, err := spec.Packets(c.conv)
		if err != nil {
			t.Fatal(err)
		}
		flows = append(flows, pkts)
	}
	path := filepath.Join(t.TempDir(), "beacon.pcap")
	if err := capgen.WriteFile(path, capgen.Merge(flows...)); err != nil {
		t.Fatal(err)
	}
	return path
}

func newTracker(t *testing.T) *beacon.Tracker {
	t.Helper()
	tr, err := beacon.NewTracker(beacon.Config{Key: beacon.KeySNI})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// scoreRecords runs capture files through an ordered pipeline of one
// table into a RecordSink, as tlsentry score does, and returns the lines.
func scoreRecords(t *testing.T, cfg pipeline.Config, paths ...string) []testkit.EveLine {
	t.Helper()
	var out bytes.Buffer
	cfg.Shards, cfg.Ordered, cfg.EmptyFlows, cfg.ParseTLS = 1, true, true, true
	cfg.Tuning = pipeline.Tuning{BatchSize: 16, BatchTimeout: time.Minute, QueueSize: 64, Workers: 3}
	cfg.Sink = pipeline.NewRecordSink(&out, cfg.Model)
	p, err := pipeline.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Run(context.Background(), &pipeline.FileInput{Paths: paths}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "out.json")
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return testkit.ReadEve(t, path)
}

func beaconAlerts(lines []testkit.EveLine) []testkit.EveLine {
	var out []testkit.EveLine
	for _, l := range lines {
		if l.Alert != nil && l.Alert.SignatureID == signature.BeaconID {
			out = append(out, l)
		}
	}
	return out
}

// TestPipelineBeaconAlert: a client calling one server every 60 s ± 20%
// gives one periodic-connections alert, with the evidence and the flow
// ids of its latest connections; ten clients polling one popular server
// as regularly, and clients calling at random, give none.
func TestPipelineBeaconAlert(t *testing.T) {
	path := writeConns(t, beaconTraffic(t, 30, time.Minute, 0.2, false))
	tr := newTracker(t)
	lines := scoreRecords(t, pipeline.Config{Beacons: tr, Metrics: newMetrics(t)}, path)
	alerts := beaconAlerts(lines)
	if len(alerts) != 1 {
		t.Fatalf("%d beacon alerts, want 1: %+v", len(alerts), alerts)
	}
	a := alerts[0]
	b := a.Detail.Beacon
	if b == nil || a.Src(t) != beaconClient || a.DestPort != 443 || b.Destination != "c2.example" || b.SNI != "c2.example" {
		t.Fatalf("alert %+v, beacon %+v", a, b)
	}
	if b.Period < 54 || b.Period > 66 || b.Count < 16 || b.Jitter > 0.3 || b.Update || b.Seq != 1 || b.JA4 == "" {
		t.Errorf("beacon object %+v", b)
	}
	if v := a.Verdict(); v == nil || v.Model != pipeline.BeaconModel || !v.Alert || v.Score < v.Threshold || !strings.Contains(v.Finding, "connections every") {
		t.Errorf("verdict %+v", v)
	}
	if a.Alert.Severity < 1 || a.Alert.Severity > 3 || a.TLS == nil || a.TLS.SNI != "c2.example" {
		t.Errorf("alert %+v", a.Alert)
	}
	// The flow ids are the beacon's latest flows, the alert's own last.
	ids := map[uint64]bool{}
	for _, l := range lines {
		if l.EventType == "flow" && l.Src(t) == beaconClient {
			ids[l.FlowID] = true
		}
	}
	for _, id := range b.FlowIDs {
		if !ids[id] {
			t.Errorf("flow id %d is none of the beacon's flows", id)
		}
	}
	if len(b.FlowIDs) == 0 || b.FlowIDs[len(b.FlowIDs)-1] != a.FlowID {
		t.Errorf("flow ids %v: the last is not the alert's flow %d", b.FlowIDs, a.FlowID)
	}
	if st := tr.Stats(); st.Findings != 1 || st.Events != uint64(countFlows(lines)) {
		t.Errorf("tracker stats %+v: want 1 finding and every one of the %d flows", st, countFlows(lines))
	}
}

func countFlows(lines []testkit.EveLine) int {
	n := 0
	for _, l := range lines {
		if l.EventType == "flow" {
			n++
		}
	}
	return n
}

// TestPipelineBeaconSameEveryRun: an ordered pipeline feeds the tracker
// in the order the table hands flows out, whatever the workers do: the
// same records every run.
func TestPipelineBeaconSameEveryRun(t *testing.T) {
	path := writeConns(t, beaconTraffic(t, 40, 20*time.Second, 0.3, false))
	var first []testkit.EveLine
	for run := range 3 {
		got := beaconAlerts(scoreRecords(t, pipeline.Config{Beacons: newTracker(t), Metrics: newMetrics(t)}, path))
		if len(got) == 0 {
			t.Fatal("no beacon alert")
		}
		if run == 0 {
			first = got
			continue
		}
		if len(got) != len(first) || got[0].FlowID != first[0].FlowID || got[0].Detail.Beacon.Count != first[0].Detail.Beacon.Count {
			t.Fatalf("run %d differs: %+v vs %+v", run, got, first)
		}
	}
}

// TestPipelineBeaconAllowlistAndMetrics: the daemon's pipeline (two
// tables, unordered, a LogSink) alerts on the beacon once and counts it;
// with the beacon's server name allowlisted it does not alert, and counts
// that instead. A beacon of connections without payload (the tables hand
// those out unscored) alerts too.
func TestPipelineBeaconAllowlistAndMetrics(t *testing.T) {
	m := trainedModel(t)
	for _, c := range []struct {
		name    string
		empty   bool
		allow   []string
		alerts  float64
		allowed float64
	}{
		{"tls", false, nil, 1, 0},
		{"allowlisted", false, []string{"c2.example"}, 0, 1},
		{"no payload", true, nil, 1, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeConns(t, beaconTraffic(t, 24, 30*time.Second, 0.1, c.empty))
			mets := newMetrics(t)
			d := pipelineConfig(m, mets, 1000)
			allow, err := allowlist.New(allowlist.Config{SNISuffixes: c.allow})
			if err != nil {
				t.Fatal(err)
			}
			d.cfg.Policy = &verdict.Policy{Threshold: 1000, Allow: allow}
			d.cfg.Beacons = newTracker(t)
			alertLog, alertPath := openLog(t, t.TempDir(), "alerts.json")
			d.logs.Alerts = alertLog
			p, _, err := d.build()
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Run(context.Background(), &pipeline.FileInput{Paths: []string{path}}); err != nil {
				t.Fatal(err)
			}
			alertLog.Sync()
			lines := readEve(t, alertPath)
			if got := float64(len(beaconAlerts(lines))); got != c.alerts || len(lines) != int(c.alerts) {
				t.Errorf("%d beacon alerts of %d lines, want %v", len(beaconAlerts(lines)), len(lines), c.alerts)
			}
			if got := testutil.ToFloat64(mets.Beacon.AlertsWritten); got != c.alerts {
				t.Errorf("tlsentry_beacon_alerts_total %v, want %v", got, c.alerts)
			}
			if got := testutil.ToFloat64(mets.Beacon.AlertsAllowed); got != c.allowed {
				t.Errorf("tlsentry_beacon_allowlisted_total %v, want %v", got, c.allowed)
			}
			if got := testutil.ToFloat64(mets.Beacon.Events); got < 24+10 {
				t.Errorf("tlsentry_beacon_events_total %v: not every flow", got)
			}
			if got := testutil.ToFloat64(mets.Beacon.Pairs); got < 51 {
				t.Errorf("tlsentry_beacon_pairs %v, want the 51 pairs at least", got)
			}
			for _, l := range beaconAlerts(lines) {
				if l.Src(t) != beaconClient || l.Detail.Beacon == nil {
					t.Errorf("alert %+v", l)
				}
			}
		})
	}
}

// TestPipelineBeaconUpdatesRateLimited: a beacon that goes on gives its
// finding, then updates (the same id, seq 2 and 3) as its connections
// double; a rate limit on the beacon signature holds the updates back
// and counts them, as for every other alert.
func TestPipelineBeaconUpdatesRateLimited(t *testing.T) {
	path := writeConns(t, beaconTraffic(t, 70, 20*time.Second, 0.1, false))
	for _, c := range []struct {
		name    string
		limit   *ratelimit.Config
		written int
	}{
		{"unlimited", nil, 3},
		{"one an hour", &ratelimit.Config{Rules: []ratelimit.Rule{
			{SignatureID: signature.BeaconID, Track: ratelimit.ByBoth, Count: 1, Window: time.Hour}}, MaxTracked: 16}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			mets := newMetrics(t)
			cfg := pipeline.Config{Beacons: newTracker(t), Metrics: mets}
			if c.limit != nil {
				l, err := ratelimit.New(*c.limit)
				if err != nil {
					t.Fatal(err)
				}
				cfg.Limiter = l
			}
			alerts := beaconAlerts(scoreRecords(t, cfg, path))
			if len(alerts) != c.written {
				t.Fatalf("%d beacon alerts written, want %d", len(alerts), c.written)
			}
			first := alerts[0].Detail.Beacon
			for i, a := range alerts {
				b := a.Detail.Beacon
				if b.ID != first.ID || b.Seq != i+1 || b.Update != (i > 0) || (i > 0 && b.Count < 2*alerts[i-1].Detail.Beacon.Count) {
					t.Errorf("alert %d: %+v", i, b)
				}
			}
			held := testutil.ToFloat64(mets.AlertsRateLimited.WithLabelValues(strconv.Itoa(signature.BeaconID)))
			if want := float64(3 - c.written); held != want {
				t.Errorf("rate limited %v, want %v", held, want)
			}
			if got := testutil.ToFloat64(mets.Beacon.Findings.WithLabelValues("update")); got != 2 {
				t.Errorf("update findings %v, want 2", got)
			}
		})
	}
}
