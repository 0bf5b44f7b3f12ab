package novelty

import (
	"strings"
	"testing"
)

// TestBaseline: a profile names whose flows it counts; the name survives
// a round trip; a network's flows added to a public corpus's profile make
// it both; a site's profile stays the network's; an unknown name is
// refused.
func TestBaseline(t *testing.T) {
	site := fit(t, flows(20, 0))
	if site.Baseline != BaselineNetwork || site.Baseline.Name() != "this network" {
		t.Errorf("a fitted profile: baseline %q (%s)", site.Baseline, site.Baseline.Name())
	}
	site.Add(flows(2, 0))
	if site.Baseline != BaselineNetwork {
		t.Errorf("a site's profile after Add: %q", site.Baseline)
	}
	corpus := fit(t, flows(20, 0))
	corpus.Baseline = BaselineCorpus
	data, _ := corpus.MarshalBinary()
	if !strings.Contains(string(data), `"baseline":"public-corpus"`) {
		t.Errorf("the corpus's baseline is not stored: %.200s", data)
	}
	var q Profile
	if err := q.UnmarshalBinary(data); err != nil || q.Baseline != BaselineCorpus || q.Baseline.Name() != "the public corpus" {
		t.Fatalf("round trip: %q, %v", q.Baseline, err)
	}
	q.Add(flows(2, 0))
	if q.Baseline != BaselineCorpusNetwork || q.Baseline.Name() != "the public corpus and this network" {
		t.Errorf("the corpus's profile after Add: %q (%s)", q.Baseline, q.Baseline.Name())
	}
	q.Add(flows(2, 0))
	if q.Baseline != BaselineCorpusNetwork {
		t.Errorf("added to twice: %q", q.Baseline)
	}
	bad := strings.Replace(string(data), `"baseline":"public-corpus"`, `"baseline":"elsewhere"`, 1)
	if err := new(Profile).UnmarshalBinary([]byte(bad)); err == nil || !strings.Contains(err.Error(), `baseline "elsewhere"`) {
		t.Errorf("an unknown baseline: %v", err)
	}
}
