package evidence

import (
	"math"
	"testing"

	"github.com/tlsentry/tlsentry/internal/labset"
)

// TestScoresWithout: counted in with a network's benign flows, a lone SSH
// client on port 443 hides its own fact (it weighs as a fact the table
// showed once); without its own count it weighs as a fact none showed,
// which ScoresWithout gives. A benign flow's own count changes next to
// nothing, and a second SSH flow vouches for the first.
func TestScoresWithout(t *testing.T) {
	corpus := Calibrate("labset benign", inputs(t, labset.Benign, 8), nil)
	benign := inputs(t, labset.Benign, 6)
	ssh := inputs(t, labset.NonTLSSSH, 2)

	one := append(append([]*Input{}, benign...), ssh[0])
	tab := corpus.With(one, "this network's update")
	own := ownCount(tab, one)
	for i, b := range own[:len(benign)] {
		if b < 0 || b > 0.2 {
			t.Errorf("benign flow %d: its own count took %.3f bits off", i, b)
		}
	}
	with, _ := tab.ScoreFired(ssh[0])
	alone, _ := corpus.With(benign, "this network's update").ScoreFired(ssh[0])
	if got := tab.ScoresWithout(one)[len(benign)]; got-with < 1 || math.Abs(got-alone) > 1e-9 {
		t.Fatalf("SSH flow: scores %.2f counted, %.2f without itself; want %.2f, its score in a table that never counted it", with, got, alone)
	}

	two := append(append([]*Input{}, benign...), ssh...)
	own2 := ownCount(corpus.With(two, "this network's update"), two)
	if a, b := own2[len(benign)], own[len(benign)]; a >= b {
		t.Errorf("one of two SSH flows: own count %.2f bits, a lone one %.2f: the other must vouch for it", a, b)
	}
}

// ownCount is what each flow's own count took off its score in t.
func ownCount(t *Table, in []*Input) []float64 {
	out := t.ScoresWithout(in)
	for i, x := range in {
		with, _ := t.ScoreFired(x)
		out[i] -= with
	}
	return out
}
