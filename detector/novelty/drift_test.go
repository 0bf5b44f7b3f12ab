package novelty

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/detector/features"
)

// TestDrift: captures in date order, cut at half the flows (a capture
// whole); the later half's client stacks are half new against the
// earlier half, so a new client stack weighs at most -log2 of that rate,
// in the score, the finding and its words; a group that drifted nothing
// weighs at most what 20 flows can measure, log2(21); the drift survives
// a round trip and a bad one is refused.
func TestDrift(t *testing.T) {
	vs := flows(40, 0)
	capture := make([]string, len(vs))
	start := make([]time.Time, len(vs))
	t0 := time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, v := range vs {
		capture[i] = string(rune('a' + i/4)) // ten captures of four flows
		v.Vec[features.FCiphers] = 12
		start[i] = t0.AddDate(0, i/4, i%4)
		if i >= 20 && i%2 == 0 {
			v.Cats[features.CJA4] = []string{"later" + capture[i]} // a new stack in each later capture
		}
	}
	// Listed out of date order: FitDrift orders the captures itself.
	for i, j := 0, len(vs)-1; i < j; i, j = i+1, j-1 {
		vs[i], vs[j], capture[i], capture[j], start[i], start[j] = vs[j], vs[i], capture[j], capture[i], start[j], start[i]
	}
	d, err := FitDrift(vs, capture, start)
	if err != nil || d == nil {
		t.Fatalf("FitDrift: %+v, %v", d, err)
	}
	if d.Flows != 20 || d.Novel[features.GClient] != 10 || d.Split != "2018-06-01" {
		t.Fatalf("drift %+v: want 10 of the 20 later flows new in the client stack, from 2018-06-01", d)
	}
	for g, k := range d.Novel {
		if g != int(features.GClient) && k != 0 {
			t.Errorf("group %v: %d later flows new", features.Group(g), k)
		}
	}
	cp := math.Log2(21.0 / 11)
	if got := d.Cap(features.GClient); math.Abs(got-cp) > 1e-9 {
		t.Errorf("client-stack cap %v, want %v", got, cp)
	}
	p := fit(t, flows(99, 0))
	v := flows(1, 0)[0]
	v.Cats[features.CJA4] = []string{"new"}
	v.Cats[features.CAppProto] = []string{"ssh"}
	before, _ := p.Score(v, false, nil)
	p.SetDrift(d)
	after, found := p.Score(v, false, nil)
	// Each was log2(100) bits: the stack's fall to its cap, the
	// protocol's to log2(21).
	if want := cp + math.Log2(21); math.Abs(before-2*math.Log2(100)) > 1e-9 || math.Abs(after-want) > 1e-9 {
		t.Fatalf("score %v with drift, %v without: want %v", after, before, want)
	}
	var stack *Finding
	for i := range found {
		if found[i].Group == features.GClient {
			stack = &found[i]
		} else if found[i].Bits != math.Log2(21) {
			t.Errorf("%s: %v bits, want log2(21)", found[i].Name(), found[i].Bits)
		}
	}
	if stack == nil || stack.Bits != cp || !strings.HasSuffix(stack.Text(), "; worth at most 0.9 bits: 10 of 20 flows of the training captures from 2018-06-01 on brought a client stack new to the earlier ones") {
		t.Errorf("client-stack finding %+v: %q", stack, stack.Text())
	}
	data, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var q Profile
	if err := q.UnmarshalBinary(data); err != nil || q.Drift == nil || q.Drift.Novel[features.GClient] != 10 {
		t.Fatalf("round trip: %v, %+v", err, q.Drift)
	}
	q.Drift.Novel[features.GCert] = 21
	data, _ = q.MarshalBinary()
	if err := new(Profile).UnmarshalBinary(data); err == nil || !strings.Contains(err.Error(), "drift: 21 of 20 later flows") {
		t.Errorf("a drift of more new flows than flows: %v", err)
	}
	if d, err := FitDrift(vs[:4], capture[:4], start[:4]); err != nil || d != nil {
		t.Errorf("one capture: %+v, %v; want no drift", d, err)
	}
}
