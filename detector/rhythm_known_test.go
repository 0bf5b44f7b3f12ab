package detector

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/detector/beacon"
	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/internal/labset"
)

var (
	sitePoller       = netip.MustParseAddr("10.1.0.5")
	sitePollerServer = netip.MustParseAddrPort("192.0.2.50:443")
)

// knows says whether the model's scorer knows the pair as periodic.
func knows(t *testing.T, m *Model, client netip.Addr, server netip.AddrPort) bool {
	t.Helper()
	s, err := m.NewScorer()
	if err != nil {
		t.Fatal(err)
	}
	r, ok := s.(beacon.Rhythmic)
	if !ok {
		t.Fatalf("a %s scorer is not rhythmic", m.Kind())
	}
	return r.KnownPeriodic(client, server)
}

// withRhythm is f with its rhythm section's data replaced.
func withRhythm(f *model.File, data []byte) *model.File {
	g := &model.File{Meta: f.Meta}
	for _, sec := range f.Sections {
		if sec.Name == rhythmSection {
			sec.Data = data
		}
		g.Sections = append(g.Sections, sec)
	}
	return g
}

// TestTrainedModelKnowsItsPoller: a model trained on a network with a
// benign poller knows the poller's pair (and no other), through the file
// too; a model of many networks' captures, the embedded default and a
// model without the section know none.
func TestTrainedModelKnowsItsPoller(t *testing.T) {
	benign := lab(t, labset.Benign, 16, 1)
	flows := siteFlows(t, benign, true, 1, 1)
	f, m := trainHybridOn(t, flows)
	if !knows(t, m, sitePoller, sitePollerServer) || m.KnownPeriodic() != 1 {
		t.Fatalf("the trained model knows %d periodic pairs, the poller's: %v", m.KnownPeriodic(), knows(t, m, sitePoller, sitePollerServer))
	}
	for _, p := range []struct {
		c  string
		ap string
	}{{"10.1.0.6", "192.0.2.50:443"}, {"10.1.0.5", "192.0.2.50:8443"}, {"10.2.0.1", "198.51.100.1:443"}} {
		if knows(t, m, netip.MustParseAddr(p.c), netip.MustParseAddrPort(p.ap)) {
			t.Errorf("the model knows %s %s, which was not periodic", p.c, p.ap)
		}
	}
	var rec rhythmRecord
	if err := json.Unmarshal(f.Section(rhythmSection), &rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Known) != 1 || rec.Known[0] != (knownPair{Client: "10.1.0.5", Server: "192.0.2.50:443", Conns: 100}) {
		t.Errorf("known pairs in the file: %+v", rec.Known)
	}
	data, err := f.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Load(data)
	if err != nil || !knows(t, back, sitePoller, sitePollerServer) || back.KnownPeriodic() != 1 {
		t.Fatalf("after a round trip the model does not know the poller (%v)", err)
	}

	// Many networks' captures: their pairs are not the site's.
	g := trainTwoCaptures(t, f, benign)
	pub, err := fileToModel(g)
	if err != nil || pub.Rhythm().Periodic != 2 || pub.KnownPeriodic() != 0 || knows(t, pub, sitePoller, sitePollerServer) {
		t.Errorf("a model of two captures knows %d periodic pairs (%v)", pub.KnownPeriodic(), err)
	}
	if old, err := fileToModel(withoutRhythm(f)); err != nil || knows(t, old, sitePoller, sitePollerServer) {
		t.Errorf("a model without the section knows the poller (%v)", err)
	}
	if d, err := Default(); err == nil && (d.KnownPeriodic() != 0 || knows(t, d, sitePoller, sitePollerServer)) {
		t.Errorf("the embedded default knows %d periodic pairs", d.KnownPeriodic())
	}
}

func withoutRhythm(f *model.File) *model.File {
	g := &model.File{Meta: f.Meta}
	for _, sec := range f.Sections {
		if sec.Name != rhythmSection {
			g.Sections = append(g.Sections, sec)
		}
	}
	return g
}

// manyKnown is a rhythm section of n known pairs, pair i of i+1
// connections, among periodic pairs of 2n pairs, all the site's.
func manyKnown(n int) rhythmRecord {
	r := rhythmRecord{Baseline: beacon.Baseline{Periodic: n, Pairs: 2 * n, SitePairs: 2 * n}}
	for i := range n {
		r.Known = append(r.Known, knownPair{Client: fmt.Sprintf("10.7.%d.%d", i/250, 1+i%250), Server: "203.0.113.9:443", Conns: int64(i + 1)})
	}
	return r
}

// TestKnownPairsBounded: the file keeps the MaxKnownPairs pairs with the
// most connections; an update adds its periodic pairs (a pair seen again
// adds its connections) and keeps the bound.
func TestKnownPairsBounded(t *testing.T) {
	k := knownPairs{}
	for i := range MaxKnownPairs + 10 {
		k[rhythmPair{netip.AddrFrom4([4]byte{10, 8, byte(i >> 8), byte(i)}), sitePollerServer}] = int64(i + 1)
	}
	l := k.list()
	if len(l) != MaxKnownPairs || l[0].Conns != MaxKnownPairs+10 || l[len(l)-1].Conns != 11 {
		t.Fatalf("%d pairs kept, of %d..%d connections", len(l), l[0].Conns, l[len(l)-1].Conns)
	}

	benign := lab(t, labset.Benign, 16, 1)
	f, _ := trainHybridOn(t, siteFlows(t, benign, true, 1, 1))
	g, rep, err := Update(f, siteFlows(t, benign, true, 5, 5000))
	if err != nil {
		t.Fatal(err)
	}
	var rec rhythmRecord
	if err := json.Unmarshal(g.Section(rhythmSection), &rec); err != nil {
		t.Fatal(err)
	}
	if rep.PeriodicKnownBefore != 1 || rep.PeriodicKnownNow != 1 || len(rec.Known) != 1 || rec.Known[0].Conns != 200 {
		t.Errorf("an update with the same poller: %d -> %d known, %+v", rep.PeriodicKnownBefore, rep.PeriodicKnownNow, rec.Known)
	}

	// A model that knows as many pairs as it may, each of fewer
	// connections than the poller: the poller takes the place of the
	// pair of fewest.
	full := manyKnown(MaxKnownPairs)
	data, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	g, rep, err = Update(withRhythm(f, data), siteFlows(t, benign, true, 5, 5000))
	if err != nil {
		t.Fatal(err)
	}
	m, err := fileToModel(g)
	if err != nil {
		t.Fatal(err)
	}
	if rep.PeriodicKnownNow != MaxKnownPairs || m.KnownPeriodic() != MaxKnownPairs || !knows(t, m, sitePoller, sitePollerServer) ||
		knows(t, m, netip.MustParseAddr("10.7.0.1"), netip.MustParseAddrPort("203.0.113.9:443")) ||
		!knows(t, m, netip.MustParseAddr("10.7.0.2"), netip.MustParseAddrPort("203.0.113.9:443")) {
		t.Errorf("update of a full model: %d known, the poller's %v", m.KnownPeriodic(), knows(t, m, sitePoller, sitePollerServer))
	}
}

// TestKnownPairsCorrupt: a rhythm section whose known pairs are too many,
// not addresses, repeated, of no connections, more than the periodic
// pairs, or in a public measurement is a corrupt model.
func TestKnownPairsCorrupt(t *testing.T) {
	f, _ := trainHybridOn(t, siteFlows(t, lab(t, labset.Benign, 16, 1), true, 1, 1))
	tooMany := manyKnown(MaxKnownPairs + 1)
	bads := []rhythmRecord{tooMany}
	for _, k := range []knownPair{{"10.0.0.300", "192.0.2.1:443", 5}, {"", "192.0.2.1:443", 5}, {"10.0.0.1", "192.0.2.1", 5},
		{"10.0.0.1", "192.0.2.1:99999", 5}, {"10.0.0.1:443", "192.0.2.1:443", 5}, {"10.0.0.1", "192.0.2.1:443", 0}, {"10.0.0.1", "192.0.2.1:443", -3}} {
		bads = append(bads, rhythmRecord{Baseline: beacon.Baseline{Periodic: 2, Pairs: 40, SitePairs: 40}, Known: []knownPair{k}})
	}
	twice := knownPair{"10.0.0.1", "192.0.2.1:443", 5}
	bads = append(bads,
		rhythmRecord{Baseline: beacon.Baseline{Periodic: 2, Pairs: 40, SitePairs: 40}, Known: []knownPair{twice, twice}},
		rhythmRecord{Baseline: beacon.Baseline{Periodic: 1, Pairs: 40, SitePairs: 40}, Known: []knownPair{twice, {"10.0.0.2", "192.0.2.1:443", 5}}},
		rhythmRecord{Baseline: beacon.Baseline{Periodic: 1, Pairs: 40}, Known: []knownPair{twice}})
	for _, bad := range bads {
		data, err := json.Marshal(bad)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fileToModel(withRhythm(f, data)); !errors.Is(err, model.ErrCorrupt) {
			t.Errorf("section %.200s: %v, want a corrupt model", data, err)
		}
	}
	for _, bad := range []string{`{"periodic":1,"pairs":3,"site_pairs":3,"known":{}}`, `{"periodic":1,"pairs":3,"site_pairs":3,"known":[{"client":1}]}`} {
		if _, err := fileToModel(withRhythm(f, []byte(bad))); !errors.Is(err, model.ErrCorrupt) || !strings.Contains(err.Error(), rhythmSection) {
			t.Errorf("section %s: %v, want a corrupt model", bad, err)
		}
	}
	// The largest file that is right loads.
	data, err := json.Marshal(manyKnown(MaxKnownPairs))
	if err != nil {
		t.Fatal(err)
	}
	if m, err := fileToModel(withRhythm(f, data)); err != nil || m.KnownPeriodic() != MaxKnownPairs {
		t.Errorf("a section of %d known pairs: %v", MaxKnownPairs, err)
	}
}

// FuzzReadRhythm: any rhythm section is read without panicking, and one
// that is accepted is a rate with its known pairs within bounds, which
// the model writes back as it read it.
func FuzzReadRhythm(f *testing.F) {
	f.Add([]byte(`{"periodic":1,"pairs":31,"site_pairs":31,"known":[{"client":"10.1.0.5","server":"192.0.2.50:443","conns":100}]}`))
	f.Add([]byte(`{"periodic":2,"pairs":62,"site_pairs":0}`))
	f.Add([]byte(`{"periodic":1,"pairs":3,"site_pairs":3,"known":[{"client":"::ffff:10.0.0.1","server":"[fe80::1%eth0]:443","conns":1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, known, err := readRhythm(data)
		if err != nil {
			if !errors.Is(err, model.ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		if b.Validate() != nil || len(known) > MaxKnownPairs || len(known) > b.Periodic {
			t.Fatalf("accepted %+v with %d known pairs", b, len(known))
		}
		var mf model.File
		if err := setRhythm(&mf, rhythmRecord{Baseline: b, Known: known.list()}); err != nil {
			t.Fatalf("accepted section does not write back: %v", err)
		}
		b2, known2, err := readRhythm(mf.Section(rhythmSection))
		if err != nil || b2 != b || len(known2) != len(known) {
			t.Fatalf("written back: %+v, %d known (%v); read %+v, %d known", b2, len(known2), err, b, len(known))
		}
		for p, n := range known {
			if known2[p] != n {
				t.Fatalf("pair %v: %d connections, written back %d", p, n, known2[p])
			}
		}
	})
}
