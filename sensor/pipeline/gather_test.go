package pipeline_test

import (
	"context"
	"crypto/tls"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tlsentry/tlsentry/detector"
	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/testkit"
	"github.com/tlsentry/tlsentry/sensor/metrics"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
	"github.com/tlsentry/tlsentry/sensor/verdict"
)

// defaultModel is the embedded default model: its evidence checks are
// what a resumed session recalls.
func defaultModel(t *testing.T) *detector.Model {
	t.Helper()
	m, err := detector.Default()
	if err != nil {
		t.Skipf("no default model: %v", err)
	}
	return m
}

// everyVerdict scores paths with model m and a threshold of 0, so that
// every scored flow's record has its reasons; it returns the flow records.
func everyVerdict(t *testing.T, m *detector.Model, cfg pipeline.Config, paths ...string) []testkit.EveLine {
	t.Helper()
	cfg.NewScorer, cfg.Model = m.NewScorer, m.Name()
	if cfg.Metrics == nil {
		cfg.Metrics = newMetrics(t)
	}
	cfg.Policy = &verdict.Policy{Threshold: 1e-9}
	var flows []testkit.EveLine
	for _, l := range scoreRecords(t, cfg, paths...) {
		if l.EventType == "flow" && l.Detail.Verdict != nil {
			flows = append(flows, l)
		}
	}
	return flows
}

func reasonsWith(l testkit.EveLine, part string) []string {
	var out []string
	for _, r := range l.Detail.Verdict.Reasons {
		if strings.Contains(r, part) {
			out = append(out, r)
		}
	}
	return out
}

// TestResumedSessionRecallsCertificate: a client that resumes a TLS 1.2
// session with a self-signed server (real crypto/tls, session tickets)
// shows no certificate; its flow recalls what the full handshake's did,
// with the flow it was seen in. A resumed session with another server,
// whose certificate was never seen, recalls nothing.
func TestResumedSessionRecallsCertificate(t *testing.T) {
	cert, err := capgen.SelfSignedCert(capgen.CertOptions{CommonName: "c2.example", DNSNames: []string{"c2.example"}, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	cc, sc := capgen.TLSConfigs(cert, "c2.example")
	cc.MaxVersion, sc.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	cc.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	opts := capgen.TLSOptions{ClientData: []byte("GET /task HTTP/1.1\r\n\r\n"), ServerData: []byte("HTTP/1.1 200 OK\r\n\r\nsleep")}
	var convs []capgen.Conversation
	for range 2 {
		conv, err := capgen.TLSConversation(context.Background(), cc, sc, opts)
		if err != nil {
			t.Fatal(err)
		}
		convs = append(convs, conv)
	}
	start := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	client := netip.MustParseAddr("10.9.0.5")
	c2, other := netip.MustParseAddrPort("203.0.113.7:443"), netip.MustParseAddrPort("203.0.113.8:443")
	path := writeConns(t, []conn{
		{start, netip.AddrPortFrom(client, 40001), c2, convs[0]},
		{start.Add(time.Minute), netip.AddrPortFrom(client, 40002), c2, convs[1]},
		{start.Add(2 * time.Minute), netip.AddrPortFrom(client, 40003), other, convs[1]},
	})
	mets := newMetrics(t)
	flows := everyVerdict(t, defaultModel(t), pipeline.Config{Metrics: mets}, path)
	if len(flows) != 3 {
		t.Fatalf("%d scored flows, want 3", len(flows))
	}
	by := map[uint16]testkit.EveLine{}
	for _, f := range flows {
		by[f.SrcPort] = f
	}
	full, resumed, elsewhere := by[40001], by[40002], by[40003]
	if len(reasonsWith(full, "self-signed")) == 0 || len(reasonsWith(full, "resumed")) != 0 {
		t.Errorf("full handshake's reasons: %q", full.Detail.Verdict.Reasons)
	}
	got := reasonsWith(resumed, "a resumed session")
	if len(got) == 0 || !strings.Contains(got[0], "self-signed") || !strings.Contains(got[0], "flow ") {
		t.Fatalf("resumed session's reasons: %q", resumed.Detail.Verdict.Reasons)
	}
	if resumed.Detail.Verdict.Score <= elsewhere.Detail.Verdict.Score {
		t.Errorf("resumed session scores %.2f, the same resumed with an unknown server %.2f",
			resumed.Detail.Verdict.Score, elsewhere.Detail.Verdict.Score)
	}
	if r := reasonsWith(elsewhere, "resumed"); len(r) != 0 {
		t.Errorf("a resumed session with another server recalls %q", r)
	}
	if n := testutil.ToFloat64(mets.ContextFacts.WithLabelValues(metrics.ContextResumed)); n != 1 {
		t.Errorf("tlsentry_context_facts_total{kind=resumed_certificate} %v, want 1", n)
	}
	if n := testutil.ToFloat64(mets.RecallServers); n != 1 {
		t.Errorf("tlsentry_recall_servers %v, want 1", n)
	}
}

// TestBeaconFlowsSayRhythm: once the beacon tracker has found a client's
// rhythm, each of its later connections says so in its own verdict (the
// beacon alert's id, the period), weighed in its score; its earlier ones,
// the clients polling a popular server and those calling at random never
// do. The same on every run.
func TestBeaconFlowsSayRhythm(t *testing.T) {
	period := regexp.MustCompile(`every (2[4-9]|3[0-6])\.[0-9] s \(beacon [0-9a-f]{16}, score`)
	path := writeConns(t, beaconTraffic(t, 40, 30*time.Second, 0.2, false))
	m := defaultModel(t)
	var first []string
	for run := range 2 {
		mets := newMetrics(t)
		lines := everyVerdict(t, m, pipeline.Config{Beacons: newTracker(t), Metrics: mets}, path)
		var said []string
		before, after := 0, 0
		for _, l := range lines {
			r := reasonsWith(l, "rhythm: ")
			if l.SrcIP != beaconClient.String() {
				if len(r) != 0 {
					t.Fatalf("a flow of %s says %q", l.SrcIP, r)
				}
				continue
			}
			if len(r) == 0 {
				if after > 0 {
					t.Fatalf("a beacon flow after the finding says nothing: %q", l.Detail.Verdict.Reasons)
				}
				before++
				continue
			}
			after++
			if !period.MatchString(r[0]) || !strings.Contains(r[0], "beacon ") {
				t.Errorf("reason %q", r[0])
			}
			said = append(said, r[0])
		}
		if before < 4 || after == 0 {
			t.Fatalf("beacon flows: %d before the finding, %d after", before, after)
		}
		if n := testutil.ToFloat64(mets.ContextFacts.WithLabelValues(metrics.ContextRhythm)); n != float64(after) {
			t.Errorf("tlsentry_context_facts_total{kind=rhythm} %v, want %d", n, after)
		}
		if run == 0 {
			first = said
		} else if strings.Join(said, "\n") != strings.Join(first, "\n") {
			t.Fatalf("run %d differs:\n%s\nvs\n%s", run, strings.Join(said, "\n"), strings.Join(first, "\n"))
		}
	}
}
