package detector

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/detector/beacon"
	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/labset"
	"github.com/tlsentry/tlsentry/sensor/config"
)

var rhythmStart = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)

func endpoint(s string) flow.Endpoint {
	ap := netip.MustParseAddrPort(s)
	return flow.Endpoint{Addr: ap.Addr().As16(), Port: ap.Port()}
}

// siteFlows gives the benign lab flows the times and addresses of a
// network over two hours: a monitoring agent (10.1.0.5) that polls its
// server every minute ± 10% when poller is set, and 30 clients that each
// call their own server one to five times at random. Every flow of the
// set is one of the lab's, so that they are all known to a model trained
// on them; the flow ids start at id.
func siteFlows(t *testing.T, benign []*flow.Flow, poller bool, seed uint64, id uint64) []*flow.Flow {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 77))
	var out []*flow.Flow
	add := func(at time.Time, client, server string) {
		f := *benign[len(out)%len(benign)]
		f.ID, f.Start, f.End = id+uint64(len(out)), at, at.Add(time.Second)
		f.Client, f.Server = endpoint(client), endpoint(server)
		out = append(out, &f)
	}
	if poller {
		at := rhythmStart
		for i := range 100 {
			at = at.Add(time.Duration(float64(time.Minute) * (0.9 + 0.2*r.Float64())))
			add(at, "10.1.0.5:"+strconv.Itoa(40000+i), "192.0.2.50:443")
		}
	}
	for c := range 30 {
		for i := range 1 + r.IntN(5) {
			at := rhythmStart.Add(time.Duration(r.Int64N(int64(2 * time.Hour))))
			add(at, "10.2.0."+strconv.Itoa(c+1)+":"+strconv.Itoa(30000+i), "198.51.100."+strconv.Itoa(c+1)+":443")
		}
	}
	return out
}

// TestMeasureRhythm: the tracker finds the poller and only it, counts
// every pair once, and leaves out flows without a time; without a pair
// that had the connections to be scored the measure says nothing.
func TestMeasureRhythm(t *testing.T) {
	benign := lab(t, labset.Benign, 8, 1)
	flows := siteFlows(t, benign, true, 1, 1)
	notime := *flows[0]
	notime.Start, notime.Client = time.Time{}, endpoint("10.9.9.9:1234")
	m, err := measureRhythm(append(flows, &notime), nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Periodic != 1 || m.Pairs != 31 || !m.Scored {
		t.Errorf("poller among 30 callers: %+v, want 1 periodic of 31 pairs, scored", m)
	}

	quiet, err := measureRhythm(siteFlows(t, benign, false, 1, 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if quiet.Periodic != 0 || quiet.Pairs != 30 || quiet.Scored {
		t.Errorf("30 callers of at most 5 connections: %+v, want 0 of 30, not scored", quiet)
	}

	// Two captures of the same addresses are two networks: each pair of
	// each counts.
	flows, capture := twoCaptures(t, benign)
	both, err := measureRhythm(flows, capture)
	if err != nil {
		t.Fatal(err)
	}
	if both.Periodic != 2 || both.Pairs != 62 {
		t.Errorf("two captures: %+v, want 2 periodic of 62 pairs", both)
	}
}

// TestTrainedModelWeighsItsRhythm: a model trained on a network with a
// benign poller weighs a beacon's flows by that network's rate (the
// poller among its pairs), less than the public captures' 10.7 bits, and
// says the measurement is the site's; the same holds through the model
// file. A network whose pairs were never scored keeps the public rate,
// as the embedded default and older files without the section do.
func TestTrainedModelWeighsItsRhythm(t *testing.T) {
	public := beacon.PublicBaseline()
	if b := public.Bits(); b < 10.7 || b > 10.8 || public.Of() != "the public benign captures" {
		t.Fatalf("public baseline %+v weighs %.2f bits (%s)", public, b, public.Of())
	}
	benign := lab(t, labset.Benign, 16, 1)
	f, m := trainHybridOn(t, siteFlows(t, benign, true, 1, 1))
	got := m.Rhythm()
	want := beacon.Baseline{Periodic: 1, Pairs: 31, SitePairs: 31}
	if got != want {
		t.Fatalf("trained rhythm %+v, want %+v", got, want)
	}
	if got.Bits() >= public.Bits()-3 || got.Of() != "this network's training flows (site baseline)" {
		t.Errorf("site rhythm weighs %.2f bits (%s), the public %.2f", got.Bits(), got.Of(), public.Bits())
	}
	s, err := m.NewScorer()
	if err != nil {
		t.Fatal(err)
	}
	r, ok := s.(beacon.Rhythmic)
	if !ok || r.RhythmBaseline() != want {
		t.Fatalf("the scorer says its rhythm is %+v (rhythmic %v)", r, ok)
	}

	// Round trip, and a file without the section (an older model).
	data, err := f.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Load(data)
	if err != nil || back.Rhythm() != want {
		t.Fatalf("after a round trip: %+v, %v", back.Rhythm(), err)
	}
	old := &model.File{Meta: f.Meta}
	for _, sec := range f.Sections {
		if sec.Name != rhythmSection {
			old.Sections = append(old.Sections, sec)
		}
	}
	if m, err := fileToModel(old); err != nil || m.Rhythm() != public {
		t.Fatalf("a model without the section: %+v, %v", m.Rhythm(), err)
	}

	// A model of many networks' captures (make model) measures each
	// capture on its own, as the public measurement.
	g := trainTwoCaptures(t, f, benign)
	if pub, err := fileToModel(g); err != nil || pub.Rhythm() != (beacon.Baseline{Periodic: 2, Pairs: 62}) || pub.Rhythm().Of() != public.Of() {
		t.Errorf("a model of two captures: %+v (%v)", pub.Rhythm(), err)
	}

	// One that found no periodic pair among fewer pairs than the built-in
	// public measurement keeps that one (make model's default does).
	pub := beacon.PublicBaseline()
	for _, c := range []struct {
		m    rhythmMeasure
		less bool
	}{
		{rhythmMeasure{Periodic: 0, Pairs: 373}, true},
		{rhythmMeasure{Periodic: 0, Pairs: pub.Pairs + 1}, false},
		{rhythmMeasure{Periodic: 2, Pairs: 62}, false},
	} {
		if got := saysLessThanPublic(c.m); got != c.less {
			t.Errorf("%+v against the public %+v: says less %v", c.m, pub, got)
		}
	}

	_, quiet := trainHybridOn(t, siteFlows(t, benign, false, 1, 1))
	if quiet.File.Section(rhythmSection) != nil || quiet.Rhythm() != public {
		t.Errorf("a network too short for the tracker measured %+v", quiet.Rhythm())
	}
	if d, err := Default(); err == nil && d.Rhythm() != public {
		t.Errorf("the embedded default weighs rhythm by %+v", d.Rhythm())
	}
}

// TestRhythmSectionCorrupt: a rhythm section that is not a rate is a
// corrupt model, named as such.
func TestRhythmSectionCorrupt(t *testing.T) {
	f, _ := trainHybridOn(t, siteFlows(t, lab(t, labset.Benign, 16, 1), true, 1, 1))
	for _, bad := range []string{`{"periodic":5,"pairs":3,"site_pairs":3}`, `{"periodic":0,"pairs":0,"site_pairs":0}`,
		`{"periodic":-1,"pairs":3,"site_pairs":3}`, `{"periodic":1,"pairs":3,"site_pairs":4}`, `[1,2]`, `{"periodic":1`} {
		g := &model.File{Meta: f.Meta}
		for _, sec := range f.Sections {
			if sec.Name == rhythmSection {
				sec.Data = []byte(bad)
			}
			g.Sections = append(g.Sections, sec)
		}
		if _, err := fileToModel(g); !errors.Is(err, model.ErrCorrupt) {
			t.Errorf("section %s: %v, want a corrupt model", bad, err)
		}
	}
}

// TestUpdateAddsRhythm: an update adds the new flows' periodic pairs and
// pairs to the model's counts; flows whose pairs the tracker could not
// score leave them as they are.
func TestUpdateAddsRhythm(t *testing.T) {
	benign := lab(t, labset.Benign, 16, 1)
	f, m := trainHybridOn(t, siteFlows(t, benign, true, 1, 1))
	before := m.Rhythm()
	g, rep, err := Update(f, siteFlows(t, benign, true, 5, 5000))
	if err != nil {
		t.Fatal(err)
	}
	m2, err := fileToModel(g)
	if err != nil {
		t.Fatal(err)
	}
	want := beacon.Baseline{Periodic: before.Periodic + 1, Pairs: before.Pairs + 31, SitePairs: before.SitePairs + 31}
	if rep.RhythmBefore != before || rep.RhythmNow != want || m2.Rhythm() != want {
		t.Errorf("update: report %+v -> %+v, model %+v; want %+v", rep.RhythmBefore, rep.RhythmNow, m2.Rhythm(), want)
	}
	h, rep, err := Update(g, siteFlows(t, benign, false, 6, 9000))
	if err != nil {
		t.Fatal(err)
	}
	if m3, err := fileToModel(h); err != nil || m3.Rhythm() != want || rep.RhythmNow != want {
		t.Errorf("an update too short for the tracker changed the rhythm to %+v (%v)", rep.RhythmNow, err)
	}

	// Updating a model that weighed rhythm by the public captures adds
	// the site's pairs to theirs.
	old := &model.File{Meta: f.Meta}
	for _, sec := range f.Sections {
		if sec.Name != rhythmSection {
			old.Sections = append(old.Sections, sec)
		}
	}
	_, rep, err = Update(old, siteFlows(t, benign, true, 5, 5000))
	if err != nil {
		t.Fatal(err)
	}
	mixed := beacon.PublicBaseline().Add(1, 31)
	if rep.RhythmNow != mixed || rep.RhythmNow.Of() != "the public benign captures and 31 of this network's (site baseline)" {
		t.Errorf("update of a public-rate model: %+v (%s), want %+v", rep.RhythmNow, rep.RhythmNow.Of(), mixed)
	}
}

// TestRhythmTrackerIsTheDaemons: training measures with the tracker the
// daemon builds from a configuration without a beacon section.
func TestRhythmTrackerIsTheDaemons(t *testing.T) {
	daemon, training := config.DefaultBeacon().Tracker(), rhythmTracker
	if err := daemon.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := training.Validate(); err != nil {
		t.Fatal(err)
	}
	if daemon != training {
		t.Errorf("the daemon's tracker %+v, training's %+v", daemon, training)
	}
}

// trainTwoCaptures refits f's encoder on two captures of a site with a
// poller each, as make model does (novelty and rhythm by capture).
func trainTwoCaptures(t *testing.T, f *model.File, benign []*flow.Flow) *model.File {
	t.Helper()
	flows, capture := twoCaptures(t, benign)
	g, err := TrainWithEncoder(context.Background(), f, flows, TrainConfig{Kind: model.KindHybrid, Trees: 20, Seed: 2,
		NoveltyByCapture: true, Capture: capture})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// twoCaptures are two captures of the same site's addresses, a poller in
// each, and which capture each flow is from.
func twoCaptures(t *testing.T, benign []*flow.Flow) ([]*flow.Flow, map[*flow.Flow]string) {
	t.Helper()
	a, b := siteFlows(t, benign, true, 1, 1), siteFlows(t, benign, true, 2, 1000)
	capture := map[*flow.Flow]string{}
	for _, f := range a {
		capture[f] = "a.pcap"
	}
	for _, f := range b {
		capture[f] = "b.pcap"
	}
	return append(a, b...), capture
}
