package pipeline_test

import (
	"context"
	"math"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tlsentry/tlsentry/detector"
	"github.com/tlsentry/tlsentry/detector/beacon"
	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/testkit"
	"github.com/tlsentry/tlsentry/sensor/metrics"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
)

// trainOn trains a hybrid model on the flows of path around the default
// model's encoder (the networks are not what this is about), with the
// default's evidence, as tlsentry train does on a site.
func trainOn(t *testing.T, base *detector.Model, path string) *detector.Model {
	t.Helper()
	set, err := pipeline.LoadFlows(context.Background(), []string{path}, flow.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	flows := make([]*flow.Flow, len(set))
	for i := range set {
		flows[i] = set[i].Flow
	}
	ev, err := detector.DefaultEvidence()
	if err != nil {
		t.Fatal(err)
	}
	f, err := detector.TrainWithEncoder(context.Background(), base.File, flows,
		detector.TrainConfig{Kind: model.KindHybrid, Trees: 50, Seed: 1, Evidence: ev})
	if err != nil {
		t.Fatal(err)
	}
	data, err := f.Encode()
	if err != nil {
		t.Fatal(err)
	}
	m, err := detector.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// siteTraffic is a site's ordinary traffic with a benign poller among
// it: the poller (beaconClient to beaconServer) every 30 s ± 20%, 10
// clients polling one popular server, 40 clients calling another at
// random and 20 a third once or twice; every flow is one of three
// conversations, the poller's the popular one's, so that it is one pair
// among many and its flows are ordinary. With stranger set, another
// client (strangerClient) polls another server every 45 s ± 10%: a
// periodic pair that the site's training did not see.
func siteTraffic(t *testing.T, stranger bool) []conn {
	t.Helper()
	start := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(21, 5))
	popular, other, rare := tlsConv(t, "updates.example"), tlsConv(t, "www.example"), tlsConv(t, "rare.example")
	var out []conn
	at := start
	for i := range 60 {
		at = at.Add(time.Duration(float64(30*time.Second) * (0.8 + 0.4*r.Float64())))
		out = append(out, conn{at, netip.AddrPortFrom(beaconClient, uint16(40000+i)), beaconServer, popular})
	}
	span := at.Sub(start)
	if stranger {
		at := start
		for i := range 40 {
			at = at.Add(time.Duration(float64(45*time.Second) * (0.9 + 0.2*r.Float64())))
			out = append(out, conn{at, netip.AddrPortFrom(strangerClient, uint16(41000+i)), strangerServer, popular})
		}
	}
	out = append(out, background(r, start, span, popular, other)...)
	for c := range 20 {
		client := netip.AddrFrom4([4]byte{10, 5, 0, byte(c + 1)})
		for i := range 1 + r.IntN(2) {
			at := start.Add(time.Duration(r.Int64N(int64(span))))
			out = append(out, conn{at, netip.AddrPortFrom(client, uint16(25000+i)), netip.MustParseAddrPort("192.0.2.90:443"), rare})
		}
	}
	return out
}

var (
	strangerClient = netip.MustParseAddr("10.9.0.6")
	strangerServer = netip.MustParseAddrPort("203.0.113.8:443")
)

// newServerTracker is the daemon's default tracker: pairs of client and
// server address, as training measures.
func newServerTracker(t *testing.T) *beacon.Tracker {
	t.Helper()
	tr, err := beacon.NewTracker(beacon.Config{Key: beacon.KeyServer})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// rhythmFlow is a flow record's score, its rhythm reason (if any) and the
// bits the rhythm added to its score.
type rhythmFlow struct {
	score, bits float64
	reason      string
}

// rhythmOf scores path with m twice, with and without the daemon's
// beacon tracker, and returns each flow of client's score, rhythm reason
// and the bits the rhythm added, and the rhythm facts the metrics
// counted: given, and withheld for a pair the model knows.
func rhythmOf(t *testing.T, m *detector.Model, path string, client netip.Addr) (flows []rhythmFlow, given, known float64) {
	t.Helper()
	key := func(l testkit.EveLine) [2]any { return [2]any{l.SrcIP, l.SrcPort} }
	plain := map[[2]any]float64{}
	for _, l := range everyVerdict(t, m, pipeline.Config{}, path) {
		plain[key(l)] = l.Detail.Verdict.Score
	}
	mets := newMetrics(t)
	for _, l := range everyVerdict(t, m, pipeline.Config{Beacons: newServerTracker(t), Metrics: mets}, path) {
		r := reasonsWith(l, "rhythm: ")
		if len(r) > 0 && l.SrcIP != beaconClient.String() && l.SrcIP != strangerClient.String() {
			t.Fatalf("a flow of %s says %q", l.SrcIP, r)
		}
		if l.SrcIP != client.String() {
			continue
		}
		f := rhythmFlow{score: l.Detail.Verdict.Score, bits: l.Detail.Verdict.Score - plain[key(l)]}
		if len(r) > 0 {
			f.reason = r[0]
		}
		flows = append(flows, f)
	}
	return flows, testutil.ToFloat64(mets.ContextFacts.WithLabelValues(metrics.ContextRhythm)),
		testutil.ToFloat64(mets.ContextFacts.WithLabelValues(metrics.ContextRhythmKnown))
}

// withRhythm is the flows that carry a rhythm reason.
func withRhythm(flows []rhythmFlow) []rhythmFlow {
	var out []rhythmFlow
	for _, f := range flows {
		if f.reason != "" {
			out = append(out, f)
		}
	}
	return out
}

// TestTrainedModelWeighsItsPoller: a site's monitoring agent polls its
// server every 30 s ± 20%, one pair among the site's ordinary traffic. On
// the embedded default its flows carry the public captures' 10.7 bits of
// rhythm. A model trained on the site knows the poller's pair (training
// found it periodic, as novelty knows the values training saw): its flows
// carry no rhythm, are counted as rhythm_known, and do not alert. A
// periodic pair training did not see still carries the rhythm, weighed
// by the site's rate.
func TestTrainedModelWeighsItsPoller(t *testing.T) {
	site := writeConns(t, siteTraffic(t, false))
	later := writeConns(t, siteTraffic(t, true))
	def := defaultModel(t)
	public := beacon.PublicBaseline().Bits()

	poller, given, known := rhythmOf(t, def, site, beaconClient)
	fired := withRhythm(poller)
	if len(fired) == 0 || given != float64(len(fired)) || known != 0 {
		t.Fatalf("default model: %d of the poller's %d flows say rhythm (metrics: %v given, %v known)", len(fired), len(poller), given, known)
	}
	for _, f := range fired {
		if !strings.HasSuffix(f.reason, "0 of 846 client-destination pairs of the public benign captures do") || math.Abs(f.bits-public) > 1e-6 {
			t.Fatalf("default model: %.3f bits, %q", f.bits, f.reason)
		}
	}

	m := trainOn(t, def, site)
	b := m.Rhythm()
	if b.Periodic != 1 || b.SitePairs != b.Pairs || b.Pairs < 70 || m.KnownPeriodic() != 1 {
		t.Fatalf("trained on the site: rhythm baseline %+v, %d known pairs; want its poller, known, among its pairs", b, m.KnownPeriodic())
	}
	// given counts the stranger's facts too: the capture has both.
	poller, _, known = rhythmOf(t, m, later, beaconClient)
	if len(withRhythm(poller)) != 0 || known != float64(len(fired)) {
		t.Fatalf("site model: %d of the poller's flows say rhythm, %v counted known (the default gave %d facts)", len(withRhythm(poller)), known, len(fired))
	}
	for _, f := range poller {
		if f.bits != 0 || f.score >= m.Threshold() {
			t.Fatalf("site model: a poller's flow scores %.3f (rhythm %.3f bits), threshold %.3f", f.score, f.bits, m.Threshold())
		}
	}

	stranger, given, _ := rhythmOf(t, m, later, strangerClient)
	fresh := withRhythm(stranger)
	if len(fresh) == 0 || given != float64(len(fresh)) {
		t.Fatalf("site model: %d of the new poller's %d flows say rhythm (%v counted)", len(fresh), len(stranger), given)
	}
	for _, f := range fresh {
		if !strings.HasSuffix(f.reason, "; 1 of "+strconv.Itoa(b.Pairs)+" client-destination pairs of this network's training flows (site baseline) do") ||
			math.Abs(f.bits-b.Bits()) > 1e-6 || f.bits > public-4 {
			t.Fatalf("site model, a new periodic pair: %.3f bits (site %.3f, public %.3f), %q", f.bits, b.Bits(), public, f.reason)
		}
	}
	t.Logf("default model: %d poller flows carry %.2f bits; site model (%d of %d pairs periodic, %.2f bits, threshold %.2f): poller's %d flows score %.2f-%.2f without rhythm; a new poller's %d flows carry %.2f bits, score %.2f-%.2f",
		len(fired), public, b.Periodic, b.Pairs, b.Bits(), m.Threshold(), len(poller), minOf(scoresOf(poller)), maxOf(scoresOf(poller)),
		len(fresh), b.Bits(), minOf(scoresOf(fresh)), maxOf(scoresOf(fresh)))
}

func scoresOf(flows []rhythmFlow) []float64 {
	out := make([]float64, len(flows))
	for i, f := range flows {
		out[i] = f.score
	}
	return out
}

func minOf(x []float64) float64 {
	m := math.Inf(1)
	for _, v := range x {
		m = min(m, v)
	}
	return m
}

func maxOf(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	return m
}
