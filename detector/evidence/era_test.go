package evidence

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/labset"
)

var eraSplit = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// dated sets the inputs' flows to start at t, their certificates issued
// a month before (the lab mints them today: a flow of 2015 showing one of
// today would be undated, see clock.go).
func dated(in []*Input, t time.Time) []*Input {
	for _, x := range in {
		x.Flow.Start = t
		if l := leaf(x); l != nil {
			c := *l
			c.NotBefore, c.NotAfter = t.AddDate(0, -1, 0), t.AddDate(0, 11, 0)
			x.TLS.Server.Leaf = &c
		}
	}
	return in
}

// tls10Finding is the version.tls10 finding on x, if it fired.
func tls10Finding(tab *Table, x *Input) (Finding, bool) {
	for _, f := range tab.Explain(x) {
		if f.ID == "version.tls10" {
			return f, true
		}
	}
	return Finding{}, false
}

// TestEras: a flow is judged by the corpus flows of its era. In a corpus
// where every client before 2020 offers TLS 1.0 at best and none after
// does, a TLS 1.0 client of 2016 is ordinary and one of 2023 is not; an
// undated flow (a capture with a zeroed clock) takes the whole corpus's
// rate, and the reasons say which flows they counted.
func TestEras(t *testing.T) {
	old := dated(inputs(t, labset.LegacyTLS10, minEraFlows+4), time.Date(2015, 6, 1, 0, 0, 0, 0, time.UTC))
	recent := dated(inputs(t, labset.Benign, minEraFlows+4), time.Date(2022, 3, 1, 0, 0, 0, 0, time.UTC))
	tab := Calibrate("b", append(append([]*Input(nil), old...), recent...), nil, eraSplit)
	if len(tab.Eras) != 2 || tab.Eras[0].Flows != len(old) || tab.Eras[1].Flows != len(recent) {
		t.Fatalf("eras %+v", tab.Eras)
	}
	probe := func(at time.Time) Finding {
		t.Helper()
		x := dated(inputs(t, labset.LegacyTLS10, 1), at)[0]
		f, ok := tls10Finding(tab, x)
		if !ok {
			t.Fatalf("version.tls10 did not fire on a TLS 1.0 client at %s", at)
		}
		if s := tab.Score(x); s < f.Bits {
			t.Errorf("score %v below the finding's %v bits", s, f.Bits)
		}
		return f
	}
	then, now, undated := probe(time.Date(2016, 2, 1, 0, 0, 0, 0, time.UTC)), probe(time.Date(2023, 5, 1, 0, 0, 0, 0, time.UTC)), probe(time.Unix(5, 0))
	if !(then.Bits < 0.1 && now.Bits > 6 && undated.Bits > then.Bits && undated.Bits < now.Bits) {
		t.Errorf("TLS 1.0 weighs %.2f bits in 2016, %.2f in 2023, %.2f undated", then.Bits, now.Bits, undated.Bits)
	}
	for _, c := range []struct {
		f    Finding
		tail string
	}{
		{then, "; 54 of 54 flows of the benign corpus captured before 2020 (b)"},
		{now, "; 0 of 54 flows of the benign corpus captured since 2020 (b)"},
		{undated, "; 54 of 108 flows of the benign corpus (b)"},
	} {
		if !strings.HasSuffix(c.f.Text, c.tail) {
			t.Errorf("%q does not end with %q", c.f.Text, c.tail)
		}
	}
}

// TestEraTooSmall: an era with fewer than minEraFlows flows a check
// applies to takes the whole corpus's rate for it, and says so.
func TestEraTooSmall(t *testing.T) {
	old := dated(inputs(t, labset.LegacyTLS10, 5), time.Date(2015, 6, 1, 0, 0, 0, 0, time.UTC))
	recent := dated(inputs(t, labset.Benign, minEraFlows), time.Date(2022, 3, 1, 0, 0, 0, 0, time.UTC))
	tab := Calibrate("b", append(old, recent...), nil, eraSplit)
	x := dated(inputs(t, labset.LegacyTLS10, 1), time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC))[0]
	f, ok := tls10Finding(tab, x)
	if !ok || !strings.HasSuffix(f.Text, "; 5 of 55 flows of the benign corpus (b)") || f.Bits != tab.Rates["version.tls10"].Bits() {
		t.Errorf("%v %+v", ok, f)
	}
}

// TestErasRoundTrip: the eras survive the model file, and eras that
// cannot be are refused.
func TestErasRoundTrip(t *testing.T) {
	old := dated(inputs(t, labset.LegacyTLS10, minEraFlows), time.Date(2015, 6, 1, 0, 0, 0, 0, time.UTC))
	recent := dated(inputs(t, labset.Benign, minEraFlows), time.Date(2022, 3, 1, 0, 0, 0, 0, time.UTC))
	tab := Calibrate("b", append(old, recent...), nil, eraSplit)
	q := roundTrip(t, tab)
	for _, at := range []time.Time{time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(0, 0)} {
		x := dated(inputs(t, labset.LegacyTLS10, 1), at)[0]
		if a, b := tab.Score(x), q.Score(x); a != b {
			t.Errorf("at %s: %v before the round trip, %v after", at, a, b)
		}
	}
	for _, bad := range []string{
		`{"flows":4,"eras":[{"from":"2020-01-01T00:00:00Z","flows":1},{"from":"2019-01-01T00:00:00Z","flows":1}]}`,
		`{"flows":4,"eras":[{"flows":2,"rates":{"x":{"fired":3,"applied":2}}}]}`,
		`{"flows":4,"eras":[{"flows":3},{"from":"2020-01-01T00:00:00Z","flows":3}]}`,
		`{"flows":4,"eras":[{"flows":2,"hello_flows":3}]}`,
	} {
		if err := new(Table).UnmarshalBinary([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if n := testing.AllocsPerRun(10, func() { q.Score(old[0]); q.Score(recent[0]) }); n != 0 {
		t.Errorf("%v allocations per score", n)
	}
}

// TestErasAlike: where the eras' rates of a check do not differ, the
// whole corpus's rate stands, counted on all its flows.
func TestErasAlike(t *testing.T) {
	old := dated(inputs(t, labset.Benign, minEraFlows+4), time.Date(2015, 6, 1, 0, 0, 0, 0, time.UTC))
	recent := dated(inputs(t, labset.Benign, minEraFlows+4), time.Date(2022, 3, 1, 0, 0, 0, 0, time.UTC))
	tab := Calibrate("b", append(old, recent...), nil, eraSplit)
	x := dated(inputs(t, labset.LegacyTLS10, 1), time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC))[0]
	f, ok := tls10Finding(tab, x)
	if !ok || !strings.HasSuffix(f.Text, "; 0 of 108 flows of the benign corpus (b)") {
		t.Errorf("%v %+v", ok, f)
	}
}

func TestFisherExact(t *testing.T) {
	// R's fisher.test(matrix(c(3, 1, 1, 3), 2)) gives 0.4857.
	if p := fisherExact(3, 4, 1, 4); math.Abs(p-0.4857) > 1e-4 {
		t.Errorf("p = %v", p)
	}
	if p := fisherExact(0, 0, 5, 10); p != 1 {
		t.Errorf("no flows: p = %v", p)
	}
	if p := fisherExact(32, 192, 1, 435); p > 1e-12 {
		t.Errorf("TLS 1.0 before and after 2020: p = %v", p)
	}
}

// judgesAs: got counts what want counts, whole and era by era, and scores
// flows as want does.
func judgesAs(t *testing.T, got, want *Table, flows []*Input) {
	t.Helper()
	if got.Flows != want.Flows || got.SpokeFlows != want.SpokeFlows || got.HelloFlows != want.HelloFlows {
		t.Errorf("flows %d/%d/%d, want %d/%d/%d", got.Flows, got.SpokeFlows, got.HelloFlows, want.Flows, want.SpokeFlows, want.HelloFlows)
	}
	for e := range want.Eras {
		if g, w := got.Eras[e], want.Eras[e]; g.Flows != w.Flows || g.Rates["version.tls10"] != w.Rates["version.tls10"] {
			t.Errorf("era %d: %d flows, TLS 1.0 %+v; want %d, %+v", e, g.Flows, g.Rates["version.tls10"], w.Flows, w.Rates["version.tls10"])
		}
	}
	for _, x := range flows {
		if g, w := got.Score(x), want.Score(x); g != w {
			t.Errorf("%s flow at %s: %v, want %v", x.TLS.AppProto, x.Flow.Start.Format(time.DateOnly), g, w)
		}
	}
}

// TestWithout: a table less some of its corpus flows judges as the table
// calibrated without them, era by era.
func TestWithout(t *testing.T) {
	a := append(dated(inputs(t, labset.Benign, 6), time.Date(2015, 6, 1, 0, 0, 0, 0, time.UTC)),
		dated(inputs(t, labset.SelfSigned, 4), time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC))...)
	b := append(dated(inputs(t, labset.LegacyTLS10, 3), time.Date(2016, 6, 1, 0, 0, 0, 0, time.UTC)),
		dated(inputs(t, labset.NonTLSHTTP, 3), time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC))...)
	got := Calibrate("b", append(append([]*Input(nil), a...), b...), nil, eraSplit).Without(b)
	want := Calibrate("b", a, nil, eraSplit)
	judgesAs(t, got, want, append(append([]*Input(nil), a...), b...))
}

// TestFisherLargeCounts: counts too large for the exact sum (a model
// file's, read from disk) take the normal approximation.
func TestFisherLargeCounts(t *testing.T) {
	if p := fisherExact(3200, 19200, 100, 43500); p > 1e-12 {
		t.Errorf("large counts, rates 17%% and 0.2%%: p = %v", p)
	}
	if p := fisherExact(1000, 20000, 2000, 40000); math.Abs(p-1) > 1e-9 {
		t.Errorf("large counts, equal rates: p = %v", p)
	}
	// A billion possible splits: summed exactly, this would not return.
	if p := fisherExact(1<<30, 1<<31, 1<<29, 1<<31); p < 0 || p > 1e-12 {
		t.Errorf("a billion splits: p = %v", p)
	}
}

// TestWith: a table with a network's flows counted in judges as the table
// calibrated on both, era by era, and its findings name both.
func TestWith(t *testing.T) {
	a := append(dated(inputs(t, labset.Benign, 6), time.Date(2015, 6, 1, 0, 0, 0, 0, time.UTC)),
		dated(inputs(t, labset.SelfSigned, 4), time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC))...)
	b := append(dated(inputs(t, labset.LegacyTLS10, 3), time.Date(2016, 6, 1, 0, 0, 0, 0, time.UTC)),
		dated(inputs(t, labset.NonTLSHTTP, 3), time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC))...)
	got := Calibrate("a", a, nil, eraSplit).With(b, "this network's training")
	want := Calibrate("a", append(append([]*Input(nil), a...), b...), nil, eraSplit)
	judgesAs(t, got, want, append(append([]*Input(nil), a...), b...))
	// TLS 1.0 offered: rare in a, common on the network, so it weighs less.
	base := Calibrate("a", a, nil, eraSplit)
	old := b[0]
	if g, w := got.Score(old), base.Score(old); g >= w {
		t.Errorf("a TLS 1.0 hello the network sends often: %.2f bits, %.2f before it was counted", g, w)
	}
	found := false
	for _, f := range got.Explain(old) {
		found = found || strings.Contains(f.Text, "and 6 flows of this network's training")
	}
	if !found {
		t.Errorf("findings do not name the network's flows: %+v", got.Explain(old))
	}
	if same := base.With(nil, "nothing"); same.Corpus != base.Corpus || same.Flows != base.Flows {
		t.Errorf("with no flows: %q, %d flows", same.Corpus, same.Flows)
	}
}
