package evidence

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/tlsentry/tlsentry/internal/labset"
)

func TestGenericTLD(t *testing.T) {
	for _, c := range []struct {
		name, tld string
	}{
		{"evil.xyz", "xyz"},
		{"WWW.Example.COM.", "com"},
		{"a.b.xn--p1ai", "xn--p1ai"},
		{"gateway.onion.link", "link"},
		// country codes, internal names, addresses and single labels
		{"www.seznam.cz", ""},
		{"mail02.cyberdyne.local", ""},
		{"nas.home.arpa", ""},
		{"printer.lan", ""},
		{"www.corp.lab", ""},
		{"dc01.example.internal", ""},
		{"192.0.2.7", ""},
		{"localhost", ""},
		{"host.123", ""},
		{"bad.x_y", ""},
		{"", ""},
	} {
		tld, ok := genericTLD(c.name)
		if tld != c.tld || ok != (c.tld != "") {
			t.Errorf("genericTLD(%q) = %q, %v; want %q", c.name, tld, ok, c.tld)
		}
	}
}

// named is a copy of a benign lab hello under another server name, from
// capture c.
func named(t *testing.T, in *Input, sni, c string) *Input {
	t.Helper()
	if in.TLS.Client == nil {
		t.Fatal("the lab's benign flow has no hello")
	}
	ch := *in.TLS.Client
	ch.ServerName = sni
	hs := *in.TLS
	hs.Client = &ch
	return &Input{Flow: in.Flow, TLS: &hs, T: in.T, Capture: c}
}

func firedIDs(tab *Table, x *Input) map[string]Finding {
	out := map[string]Finding{}
	for _, f := range tab.Explain(x) {
		out[f.ID] = f
	}
	return out
}

// TestRareTLDCountsOtherCaptures: calibration counts a corpus flow's TLD
// as rare only where no other capture used it; the table then knows
// every TLD of the corpus, forgets those only one capture used when
// counted without it, and learns a site's.
func TestRareTLDCountsOtherCaptures(t *testing.T) {
	base := inputs(t, labset.Benign, 1)[0]
	corpus := []*Input{
		named(t, base, "a.example.com", "A"), named(t, base, "b.shop.xyz", "A"), named(t, base, "c.shop.xyz", "A"),
		named(t, base, "d.example.com", "B"), named(t, base, "e.example.org", "B"), named(t, base, "f.example.org", "C"),
		named(t, base, "www.seznam.cz", "C"),
	}
	tab := Calibrate("corpus", corpus, nil)
	if r := tab.Rates["sni.rare_tld"]; r.Applied != 6 || r.Fired != 2 {
		t.Fatalf("rate %+v, want the two .xyz flows of capture A of 6 under generic TLDs", r)
	}
	if want := map[string]int{"com": 2, "org": 2, "xyz": 1}; len(tab.KnownTLDs) != len(want) ||
		tab.KnownTLDs["com"] != 2 || tab.KnownTLDs["org"] != 2 || tab.KnownTLDs["xyz"] != 1 {
		t.Fatalf("known %v, want %v", tab.KnownTLDs, want)
	}
	fresh := named(t, base, "payload.top", "")
	f, ok := firedIDs(tab, fresh)["sni.rare_tld"]
	if !ok {
		t.Fatalf("sni.rare_tld did not fire on .top: %+v", tab.Explain(fresh))
	}
	if !strings.Contains(f.Text, "ends in .top") || !strings.Contains(f.Text, "it knows 3: .com, .org, .xyz") || f.Group != GroupSNI || f.Bits < 1 {
		t.Errorf("finding %+v", f)
	}
	for _, sni := range []string{"q.shop.xyz", "www.example.org", "www.seznam.cz", "files.corp"} {
		if f, ok := firedIDs(tab, named(t, base, sni, ""))["sni.rare_tld"]; ok {
			t.Errorf("fired on %s: %+v", sni, f)
		}
	}
	rt := roundTrip(t, tab)
	if _, ok := firedIDs(rt, fresh)["sni.rare_tld"]; !ok || rt.KnownTLDs["xyz"] != 1 {
		t.Errorf("after a round trip: known %v", rt.KnownTLDs)
	}

	without := tab.WithoutCapture(corpus[:3])
	if _, ok := firedIDs(without, named(t, base, "q.shop.xyz", ""))["sni.rare_tld"]; !ok || without.KnownTLDs["com"] != 1 {
		t.Errorf("without capture A: known %v", without.KnownTLDs)
	}
	if tab.KnownTLDs["xyz"] != 1 {
		t.Errorf("WithoutCapture changed the table: %v", tab.KnownTLDs)
	}

	site := tab.LearnTLDs([]*Input{named(t, base, "portal.top", "")})
	if _, ok := firedIDs(site, fresh)["sni.rare_tld"]; ok || site.KnownTLDs["top"] != 1 || tab.KnownTLDs["top"] != 0 {
		t.Errorf("a site's .top: site knows %v, table %v", site.KnownTLDs, tab.KnownTLDs)
	}
}

// TestRareTLDFlowsOfNoCapture: calibrated on flows that name no capture,
// each flow is a capture of its own: a TLD one flow alone used fires.
func TestRareTLDFlowsOfNoCapture(t *testing.T) {
	base := inputs(t, labset.Benign, 1)[0]
	tab := Calibrate("corpus", []*Input{named(t, base, "a.example.com", ""), named(t, base, "b.example.com", ""), named(t, base, "c.shop.xyz", "")}, nil)
	if r := tab.Rates["sni.rare_tld"]; r.Applied != 3 || r.Fired != 1 {
		t.Errorf("rate %+v, want the one .xyz flow of 3", r)
	}
}

// TestRareTLDSilentWithoutKnownTLDs: a table made before the check knows
// no TLD, and then says nothing of any.
func TestRareTLDSilentWithoutKnownTLDs(t *testing.T) {
	base := inputs(t, labset.Benign, 1)[0]
	tab := Calibrate("corpus", []*Input{named(t, base, "a.example.com", "A")}, nil)
	tab.KnownTLDs = nil
	tab.prepare()
	if f, ok := firedIDs(tab, named(t, base, "payload.top", ""))["sni.rare_tld"]; ok {
		t.Errorf("fired with no known TLDs: %+v", f)
	}
}

func TestKnownTLDsRefused(t *testing.T) {
	base := inputs(t, labset.Benign, 1)[0]
	tab := Calibrate("corpus", []*Input{named(t, base, "a.example.com", "A")}, nil)
	for _, bad := range []map[string]int{{"com": 0}, {"x y": 1}, {"123": 2}} {
		u := *tab
		u.KnownTLDs = bad
		data, err := u.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var got Table
		if err := got.UnmarshalBinary(data); err == nil || !strings.Contains(err.Error(), "top-level domain") {
			t.Errorf("%v: err %v", bad, err)
		}
	}
}

// TestDelegatedFromManyWorkers: the sensor's workers ask at once; every
// answer is the Public Suffix List's, remembered or not (run with -race).
func TestDelegatedFromManyWorkers(t *testing.T) {
	tlds := []string{"com", "xyz", "top", "lab", "corp", "dogfish", "network", "internal", "zip"}
	want := map[string]bool{"com": true, "xyz": true, "top": true, "network": true, "zip": true}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(tlds))
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				for _, tld := range tlds {
					if got := delegated(tld); got != want[tld] {
						errs <- fmt.Sprintf("delegated(%q) = %v", tld, got)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
