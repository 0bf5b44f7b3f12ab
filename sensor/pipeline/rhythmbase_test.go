package pipeline_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/detector"
	"github.com/tlsentry/tlsentry/detector/beacon"
	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/testkit"
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

// rhythmOf scores path with m twice, with and without a beacon tracker,
// and returns the poller's flows that got a rhythm reason, each with the
// bits the rhythm added to its score and its score.
func rhythmOf(t *testing.T, m *detector.Model, path string) (reasons []string, bits, scores []float64) {
	t.Helper()
	key := func(l testkit.EveLine) [2]any { return [2]any{l.SrcIP, l.SrcPort} }
	plain := map[[2]any]float64{}
	for _, l := range everyVerdict(t, m, pipeline.Config{}, path) {
		plain[key(l)] = l.Detail.Verdict.Score
	}
	for _, l := range everyVerdict(t, m, pipeline.Config{Beacons: newTracker(t)}, path) {
		r := reasonsWith(l, "rhythm: ")
		if len(r) == 0 {
			continue
		}
		if l.SrcIP != beaconClient.String() {
			t.Fatalf("a flow of %s says %q", l.SrcIP, r)
		}
		reasons = append(reasons, r[0])
		bits = append(bits, l.Detail.Verdict.Score-plain[key(l)])
		scores = append(scores, l.Detail.Verdict.Score)
	}
	if len(reasons) == 0 {
		t.Fatal("no flow of the poller says rhythm")
	}
	return reasons, bits, scores
}

// TestTrainedModelWeighsItsPoller: a site's monitoring agent polls its
// server every 30 s ± 20%. On the embedded default its flows carry the
// public captures' 10.7 bits of rhythm; on a model trained on that site
// (the poller one of its 51 pairs) they carry the site's rate, 5.1 bits,
// and say so. (Whether they alert is the threshold's: this site's flows
// are three conversations repeated, so the poller's own flows set it.)
func TestTrainedModelWeighsItsPoller(t *testing.T) {
	path := writeConns(t, beaconTraffic(t, 60, 30*time.Second, 0.2, false))
	def := defaultModel(t)
	public := beacon.PublicBaseline().Bits()

	reasons, bits, _ := rhythmOf(t, def, path)
	for i, r := range reasons {
		if !strings.HasSuffix(r, "0 of 846 client-destination pairs of the public benign captures do") || math.Abs(bits[i]-public) > 1e-6 {
			t.Fatalf("default model: %.3f bits, %q", bits[i], r)
		}
	}

	site := trainOn(t, def, path)
	b := site.Rhythm()
	if b.Periodic != 1 || b.SitePairs != b.Pairs || b.Pairs < 50 {
		t.Fatalf("trained on the site: rhythm baseline %+v, want its poller among its pairs", b)
	}
	reasons, bits, scores := rhythmOf(t, site, path)
	for i, r := range reasons {
		if !strings.Contains(r, "; 1 of ") || !strings.HasSuffix(r, "client-destination pairs of this network's training flows (site baseline) do") ||
			math.Abs(bits[i]-b.Bits()) > 1e-6 || bits[i] > public-4 {
			t.Fatalf("site model: %.3f bits (public %.3f), %q", bits[i], public, r)
		}
	}
	t.Logf("poller flows with rhythm: %d; site %.2f bits (%d of %d pairs), public %.2f; on the site's model they score %.2f-%.2f, threshold %.2f",
		len(reasons), b.Bits(), b.Periodic, b.Pairs, public, minOf(scores), maxOf(scores), site.Threshold())
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
