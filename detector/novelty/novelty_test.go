package novelty

import (
	"math"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/detector/features"
)

// flows makes n training flows: JA4 "a" for all but `rare` of them, which
// each get a value of their own; client version TLS 1.2 throughout; the
// cipher count 10..10+n-1 (unique minimum and maximum).
func flows(n, rare int) []*features.Values {
	out := make([]*features.Values, n)
	for i := range out {
		v := new(features.Values)
		ja4 := "a"
		if i < rare {
			ja4 = "rare" + string(rune('A'+i))
		}
		v.Cats[features.CJA4] = []string{ja4}
		v.Cats[features.CCipher] = []string{"0x1301", "0x1302"}
		v.Vec[features.FCiphers] = float32(10 + i)
		v.Vec[features.FTLS] = 1
		v.Vec[features.FClientHello] = 1
		v.Cats[features.CAppProto] = []string{"tls"}
		out[i] = v
	}
	return out
}

func fit(t *testing.T, vs []*features.Values) *Profile {
	t.Helper()
	p, err := Fit(vs)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCategorical(t *testing.T) {
	p := fit(t, flows(99, 9))
	v := flows(1, 0)[0]
	v.Vec[features.FCiphers] = 20
	if bits, found := p.Score(v, false, nil); bits != 0 || len(found) != 0 {
		t.Fatalf("a seen value scored %v bits: %+v", bits, found)
	}
	v.Cats[features.CJA4] = []string{"new"}
	bits, found := p.Score(v, false, nil)
	// 9 of 99 flows held a value of their own: chance (9+1)/(99+1).
	if want := math.Log2(10); math.Abs(bits-want) > 1e-9 || len(found) != 1 {
		t.Fatalf("bits %v, want %v; %+v", bits, want, found)
	}
	if txt := found[0].Text(); !strings.Contains(txt, "JA4 fingerprint new never seen in training (10 distinct values in 99 flows)") {
		t.Errorf("text %q", txt)
	}
	// With no rare values at all, a new one is as surprising as can be.
	p = fit(t, flows(99, 0))
	if bits, _ := p.Score(v, false, nil); math.Abs(bits-math.Log2(100)) > 1e-9 {
		t.Errorf("bits %v, want log2(100)", bits)
	}
}

func TestSetFeatureCountsOnce(t *testing.T) {
	p := fit(t, flows(50, 0))
	v := flows(1, 0)[0]
	v.Vec[features.FCiphers] = 20
	v.Cats[features.CCipher] = []string{"0x0004", "0x0005", "0x000a", "0x1301", "0xc011"}
	bits, found := p.Score(v, false, nil)
	if len(found) != 1 || math.Abs(bits-math.Log2(51)) > 1e-9 {
		t.Fatalf("bits %v, findings %+v", bits, found)
	}
	if got := strings.Join(found[0].Values, " "); got != "0x0004 0x0005 0x000a …" {
		t.Errorf("values %q", got)
	}
}

func TestRange(t *testing.T) {
	p := fit(t, flows(20, 0))
	v := flows(1, 0)[0]
	for _, c := range []struct {
		x    float32
		want bool
	}{{10, false}, {29, false}, {15, false}, {9, true}, {30, true}} {
		v.Vec[features.FCiphers] = c.x
		_, found := p.Score(v, false, nil)
		if got := len(found) == 1; got != c.want {
			t.Errorf("ciphers %v: novel %v, want %v (%+v)", c.x, got, c.want, found)
		}
	}
	// Both extremes are unique: chance 3/21.
	v.Vec[features.FCiphers] = 40
	bits, found := p.Score(v, false, nil)
	if math.Abs(bits-math.Log2(21.0/3)) > 1e-9 {
		t.Errorf("bits %v", bits)
	}
	if txt := found[0].Text(); txt != "number of cipher suites offered 40 outside training range 10 to 29" {
		t.Errorf("text %q", txt)
	}
	// A flag constant in training.
	v.Vec[features.FCiphers] = 12
	v.Vec[features.FClientSSLv2] = 1
	_, found = p.Score(v, false, nil)
	if len(found) != 1 || found[0].Text() != "SSLv2-format ClientHello: yes; always no in training" {
		t.Errorf("%+v", found)
	}
}

func TestLeaveOneOut(t *testing.T) {
	train := flows(30, 3)
	p := fit(t, train)
	novel := 0
	for i, v := range train {
		bits, found := p.Score(v, true, nil)
		if bits > 0 {
			novel++
		}
		// The rare JA4s and the unique cipher-count extremes are new
		// once their own flow is left out.
		wantNovel := i < 3 || i == 0 || i == 29
		if (bits > 0) != wantNovel {
			t.Errorf("flow %d: %v bits %+v", i, bits, found)
		}
		if bits, _ := p.Score(v, false, nil); bits != 0 {
			t.Errorf("flow %d scored %v bits against a profile that holds it", i, bits)
		}
	}
	if novel != 4 {
		t.Errorf("%d training flows novel leaving themselves out, want 4", novel)
	}
}

func TestRoundTrip(t *testing.T) {
	p := fit(t, flows(40, 4))
	data, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var q Profile
	if err := q.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	again, _ := q.MarshalBinary()
	if string(again) != string(data) {
		t.Error("round trip changed the profile")
	}
	v := flows(1, 0)[0]
	v.Cats[features.CJA4] = []string{"z"}
	a, _ := p.Score(v, false, nil)
	b, _ := q.Score(v, false, nil)
	if a != b || a == 0 {
		t.Errorf("scores %v and %v", a, b)
	}
}

func TestUnmarshalErrors(t *testing.T) {
	good, _ := fit(t, flows(10, 1)).MarshalBinary()
	cases := map[string]string{
		"not json":       "novelty profile: ",
		`{"schema":"x"}`: `feature schema "x"`,
		strings.Replace(string(good), `"flows":10`, `"flows":0`, 1):        "over at least one",
		strings.Replace(string(good), `"name":"tls.ja4"`, `"name":"x"`, 1): `("x") does not fit`,
		strings.Replace(string(good), `"a":9`, `"a":99`, 1):                `counted 99 times in 10 flows`,
	}
	for in, want := range cases {
		var p Profile
		err := p.UnmarshalBinary([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.40q: error %v, want %q", in, err, want)
		}
	}
	if _, err := Fit(nil); err == nil {
		t.Error("Fit of nothing succeeded")
	}
}

// TestOlderLayout: a profile of the layout before the transport features
// loads, and judges the features it knows; the appended ones, which its
// training never saw, add nothing.
func TestOlderLayout(t *testing.T) {
	vs := flows(30, 3)
	for _, v := range vs {
		v.Cats[features.CTransport] = []string{"tcp"}
	}
	p := fit(t, vs)
	size, _ := features.Layout("handshake-features-v4")
	p.Schema, p.Cats, p.Ranges, p.Mid = "handshake-features-v4", p.Cats[:size.Cats], p.Ranges[:size.Len], p.Mid[:size.Len]
	data, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var q Profile
	if err := q.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	v := flows(1, 0)[0]
	v.Cats[features.CTransport] = []string{"quic"}
	v.Vec[features.FQUICUndecrypted] = 1
	if bits, found := q.Score(v, false, nil); bits != 0 || len(found) != 0 {
		t.Errorf("old profile: %v bits %+v", bits, found)
	}
	v.Cats[features.CJA4] = []string{"new"}
	if bits, _ := q.Score(v, false, nil); bits == 0 {
		t.Error("old profile: a new JA4 is not novel")
	}
	// The whole current profile finds the new transport and the flag.
	_, found := fit(t, vs).Score(v, false, nil)
	names := map[string]bool{}
	for _, f := range found {
		names[f.Name()] = true
	}
	if !names["transport"] || !names["quic.undecrypted"] {
		t.Errorf("current profile findings %v", names)
	}
	// An old layout with the wrong number of features is refused.
	p.Ranges = p.Ranges[:10]
	data, _ = p.MarshalBinary()
	if err := q.UnmarshalBinary(data); err == nil || !strings.Contains(err.Error(), "want") {
		t.Errorf("short old profile: %v", err)
	}
}

func FuzzUnmarshal(f *testing.F) {
	good, _ := fit(&testing.T{}, flows(10, 1)).MarshalBinary()
	f.Add(good)
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Profile
		if p.UnmarshalBinary(data) != nil {
			return
		}
		v := flows(1, 0)[0]
		v.Cats[features.CJA4] = []string{"z"}
		if bits, found := p.Score(v, true, nil); math.IsNaN(bits) || bits < 0 {
			t.Fatalf("bits %v %+v", bits, found)
		}
	})
}

// TestGroupsCountOnce: a new client library shows in JA4, JA3N and its
// cipher list at once; it counts as its strongest finding, while a new
// protocol counts in its own group.
func TestGroupsCountOnce(t *testing.T) {
	p := fit(t, flows(50, 5))
	v := flows(1, 0)[0]
	v.Vec[features.FCiphers] = 20
	v.Cats[features.CJA4] = []string{"new"}
	v.Cats[features.CJA3N] = []string{"new"}
	v.Cats[features.CCipher] = []string{"0x0004"}
	bits, found := p.Score(v, false, nil)
	if len(found) < 2 || math.Abs(bits-math.Log2(51)) > 1e-9 {
		t.Fatalf("bits %v, want log2(51) (cipher, never rare); %+v", bits, found)
	}
	MarkCounted(found)
	if !found[0].Counted || found[1].Counted {
		t.Errorf("counted %v %v", found[0].Counted, found[1].Counted)
	}
	v.Cats[features.CAppProto] = []string{"ssh"}
	bits2, _ := p.Score(v, false, nil)
	if math.Abs(bits2-2*math.Log2(51)) > 1e-9 {
		t.Errorf("with a new protocol: %v bits, want %v", bits2, 2*math.Log2(51))
	}
	// Without a ClientHello the client stack's values are not judged.
	v.Vec[features.FClientHello] = 0
	bits3, found := p.Score(v, false, nil)
	for _, f := range found {
		if f.Group == features.GClient {
			t.Errorf("client finding on a flow without a hello: %+v", f)
		}
	}
	if bits3 < math.Log2(51)-1e-9 {
		t.Errorf("bits %v", bits3)
	}
}

func TestAdd(t *testing.T) {
	p := fit(t, flows(20, 0))
	v := flows(1, 0)[0]
	v.Cats[features.CJA4] = []string{"fresh"}
	v.Vec[features.FCiphers] = 100
	if bits, _ := p.Score(v, false, nil); bits == 0 {
		t.Fatal("new values not novel")
	}
	p.Add([]*features.Values{v})
	if bits, found := p.Score(v, false, nil); bits != 0 {
		t.Errorf("after Add: %v bits %+v", bits, found)
	}
	if p.Flows != 21 || p.Cats[features.CJA4].Rare != 1 {
		t.Errorf("flows %d rare %d", p.Flows, p.Cats[features.CJA4].Rare)
	}
	data, _ := p.MarshalBinary()
	if err := new(Profile).UnmarshalBinary(data); err != nil {
		t.Error(err)
	}
}

// TestHexIndex: values named in hex are told known or new by the bit set
// exactly as by the counts, after Fit, a round trip and Add; other names
// and malformed hex go to the counts.
func TestHexIndex(t *testing.T) {
	p := fit(t, flows(20, 0))
	cp := &p.Cats[features.CCipher]
	check := func(when string) {
		for _, s := range []string{"0x1301", "0x1302", "0x1303", "0xc02b", "0x130", "0x13011", "0X1301", "0x13O1", "tls"} {
			if got, want := cp.known(s), cp.Counts[s] > 0; got != want {
				t.Errorf("%s: %q known %v, counts say %v", when, s, got, want)
			}
		}
	}
	check("fit")
	data, _ := p.MarshalBinary()
	var q Profile
	if err := q.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	p, cp = &q, &q.Cats[features.CCipher]
	check("round trip")
	v := new(features.Values)
	v.Cats[features.CCipher] = []string{"0xc02b"}
	v.Vec[features.FClientHello] = 1
	v.Vec[features.FCiphers] = 12
	if _, found := p.Score(v, false, nil); len(found) != 1 || found[0].Values[0] != "0xc02b" {
		t.Errorf("before Add: %+v", found)
	}
	p.Add([]*features.Values{v})
	check("add")
	if _, found := p.Score(v, false, nil); len(found) != 0 {
		t.Errorf("after Add: %+v", found)
	}
}

// TestFitGrouped: by capture, a value that several flows of one capture
// share counts as rare (a new network brings it), one that two captures
// show does not; without captures, Fit's count of single flows.
func TestFitGrouped(t *testing.T) {
	vs := flows(6, 0)
	ja4 := []string{"x", "x", "y", "y", "z", "z"}
	capture := []string{"a", "a", "b", "c", "d", "d"}
	for i, v := range vs {
		v.Cats[features.CJA4] = []string{ja4[i]}
	}
	g, err := FitGrouped(vs, capture)
	if err != nil {
		t.Fatal(err)
	}
	if got := g.Cats[features.CJA4].Rare; got != 4 { // x (capture a) and z (capture d): 2 flows each
		t.Errorf("by capture: %d rare flows, want 4", got)
	}
	if got := fit(t, vs).Cats[features.CJA4].Rare; got != 0 {
		t.Errorf("by flow: %d rare flows, want 0", got)
	}
	if _, err := FitGrouped(vs, capture[:3]); err == nil {
		t.Error("captures for half the flows accepted")
	}
}
