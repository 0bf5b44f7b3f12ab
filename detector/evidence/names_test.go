package evidence

import (
	"math"
	"testing"
)

// A hyphen ends one word and starts the next: a joined label costs what
// its words cost apart, each with its start and its end.
func TestNamesHyphenJoinsWords(t *testing.T) {
	m, err := FitNames(benignNames, dictWords(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ joined, a, b string }{
		{"ssl-images", "ssl", "images"},
		{"s-msft", "s", "msft"},
		{"network-monitor", "network", "monitor"},
	} {
		got := labelBits(m.Cost, c.joined) * float64(len(c.joined)+1)
		want := labelBits(m.Cost, c.a)*float64(len(c.a)+1) + labelBits(m.Cost, c.b)*float64(len(c.b)+1)
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%q costs %.3f bits, its words %q and %q %.3f", c.joined, got, c.a, c.b, want)
		}
	}
	// Microsoft's short hyphenated names were the one benign family the
	// check fired on in a blind set (s-msft: 8.4 bits a character).
	if m.Generated("a.sec.s-msft.com") {
		s, l := m.Score("a.sec.s-msft.com")
		t.Errorf("a.sec.s-msft.com looks generated (%.2f bits a character in %q, cutoff %.2f)", s, l, m.Cutoff)
	}
}

// The model judges the names it learned as it judges new ones: by the
// fold that did not learn them, so that the calibration counts how often
// the check fires on names it never saw. A model read from a file judges
// every name with the costs learned from all of them.
func TestNamesHeldOutWhileCalibrating(t *testing.T) {
	m, err := FitNames(benignNames, dictWords(t))
	if err != nil {
		t.Fatal(err)
	}
	j := m.toJSON()
	loaded, err := j.model()
	if err != nil {
		t.Fatal(err)
	}
	differ := 0
	for _, n := range benignNames {
		fit, label := m.Score(n)
		if label == "" {
			continue
		}
		held := labelBits(m.heldOut[label], label)
		if fit != held {
			t.Errorf("%s: scored %.3f while calibrating, %.3f by the fold that did not learn %q", n, fit, held, label)
		}
		full, _ := loaded.Score(n)
		if full != labelBits(m.Cost, label) {
			t.Errorf("%s: the loaded model scored %.3f, the full costs say %.3f", n, full, labelBits(m.Cost, label))
		}
		if full < held {
			differ++
		}
	}
	if differ == 0 {
		t.Error("no learned name cost less by the full model than by its held-out fold: the folds did not hold names out")
	}
	if loaded.heldOut != nil {
		t.Error("a model read from a file kept held-out costs")
	}
}

// Every copy of a label falls in one fold: a label many names share
// (google, in three names here) is new to the fold that judges it, and
// costs more than it would had the fold learned a single copy.
func TestNamesFoldsKeepLabelsTogether(t *testing.T) {
	names := []string{"accounts.google.com", "clients4.google.com", "mail.google.com", "www.wikipedia.org",
		"download.mozilla.org", "telemetry.mozilla.org", "outlook.office365.com", "www.example.com",
		"images.example.org", "security.debian.org", "weather.com", "www.amazon.com"}
	words := dictWords(t)
	m, err := FitNames(names, words)
	if err != nil {
		t.Fatal(err)
	}
	var once counts
	for _, w := range words {
		if len(w) >= 3 {
			once.add(w, 1)
		}
	}
	once.add("google", 4) // FitNames's weight of a name
	held, learned := labelBits(m.heldOut["google"], "google"), labelBits(once.model(), "google")
	if held <= learned {
		t.Errorf("google costs %.3f bits held out, %.3f with one copy learned: its fold had learned it", held, learned)
	}
}
