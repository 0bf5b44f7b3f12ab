package beacon

import (
	"fmt"
	"strings"
	"testing"
)

// outcome is what the tracker did with one generated pair.
type outcome struct {
	truth    *truth
	findings int     // new findings (not updates)
	maxScore float64 // highest score over its scorings
	scorings int
}

// runStream feeds events to a tracker and gathers outcomes by pair.
func runStream(tb testing.TB, cfg Config, st *stream) (map[pairID]*outcome, *Tracker) {
	tb.Helper()
	tr, err := NewTracker(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	out := make(map[pairID]*outcome, len(st.truth))
	for id, t := range st.truth {
		out[id] = &outcome{truth: t}
	}
	tr.onScore = func(p *pair, sc *scored) {
		if o := out[pairID{p.client, p.server}]; o != nil {
			o.scorings++
			o.maxScore = max(o.maxScore, sc.score)
		}
	}
	for i := range st.conns {
		if f, ok := tr.Add(st.event(i)); ok && !f.Update {
			if o := out[pairID{f.Client, f.Server}]; o != nil {
				o.findings++
			}
		}
	}
	return out, tr
}

// band is a row of the recall table.
type band struct {
	name   string
	lo, hi float64
}

var periodBands = []band{
	{"1-10 s", 1, 10}, {"10-60 s", 10, 60}, {"1-10 min", 60, 600}, {"10-60 min", 600, 3601},
}

var jitterBands = []band{
	{"0-10%", 0, 0.1}, {"10-20%", 0.1, 0.2}, {"20-30%", 0.2, 0.3000001}, {"30-40%", 0.3000001, 0.4}, {"40-50%", 0.4, 0.5000001},
}

// eligible says whether a beacon counts toward the recall goal: at least
// 20 connections in one window.
func eligible(t *truth) bool { return t.inWindow >= 20 }

// tally is detected/total.
type tally struct{ hit, n int }

func (t tally) String() string {
	if t.n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f (%d/%d)", float64(t.hit)/float64(t.n), t.hit, t.n)
}

func (t tally) rate() float64 { return float64(t.hit) / float64(max(t.n, 1)) }

// summary is the measured figures of one run.
type summary struct {
	recall        map[family]tally // jitter ≤ 30%, eligible
	recallHigh    map[family]tally // jitter > 30%, eligible
	byPeriod      map[family][]tally
	byJitter      map[family][]tally
	benignPairs   map[family]int
	benignScored  map[family]int // benign pairs scored at least once
	falsePairs    map[family]int // benign pairs with a finding
	falseFindings map[family]int
}

func summarize(out map[pairID]*outcome) summary {
	s := summary{
		recall: map[family]tally{}, recallHigh: map[family]tally{},
		byPeriod: map[family][]tally{}, byJitter: map[family][]tally{},
		benignPairs: map[family]int{}, benignScored: map[family]int{},
		falsePairs: map[family]int{}, falseFindings: map[family]int{},
	}
	for _, o := range out {
		t := o.truth
		if !t.fam.beacon() {
			s.benignPairs[t.fam]++
			if o.scorings > 0 {
				s.benignScored[t.fam]++
			}
			if o.findings > 0 {
				s.falsePairs[t.fam]++
				s.falseFindings[t.fam] += o.findings
			}
			continue
		}
		if !eligible(t) {
			continue
		}
		hit := 0
		if o.findings > 0 {
			hit = 1
		}
		add := func(m map[family]tally) {
			x := m[t.fam]
			x.hit += hit
			x.n++
			m[t.fam] = x
		}
		if t.jitter <= 0.3 {
			add(s.recall)
		} else {
			add(s.recallHigh)
		}
		if s.byPeriod[t.fam] == nil {
			s.byPeriod[t.fam] = make([]tally, len(periodBands))
			s.byJitter[t.fam] = make([]tally, len(jitterBands))
		}
		for i, b := range jitterBands {
			if t.jitter >= b.lo && t.jitter < b.hi {
				s.byJitter[t.fam][i].hit += hit
				s.byJitter[t.fam][i].n++
			}
		}
		if t.jitter <= 0.3 {
			for i, b := range periodBands {
				if sec := t.period.Seconds(); sec >= b.lo && sec < b.hi {
					s.byPeriod[t.fam][i].hit += hit
					s.byPeriod[t.fam][i].n++
				}
			}
		}
	}
	return s
}

// add merges o's counts into s.
func (s *summary) add(o summary) {
	for f, t := range o.recall {
		s.recall[f] = tally{s.recall[f].hit + t.hit, s.recall[f].n + t.n}
	}
	for f, t := range o.recallHigh {
		s.recallHigh[f] = tally{s.recallHigh[f].hit + t.hit, s.recallHigh[f].n + t.n}
	}
	for f, ts := range o.byPeriod {
		if s.byPeriod[f] == nil {
			s.byPeriod[f] = make([]tally, len(periodBands))
			s.byJitter[f] = make([]tally, len(jitterBands))
		}
		for i, t := range ts {
			s.byPeriod[f][i].hit += t.hit
			s.byPeriod[f][i].n += t.n
		}
		for i, t := range o.byJitter[f] {
			s.byJitter[f][i].hit += t.hit
			s.byJitter[f][i].n += t.n
		}
	}
	for f, n := range o.benignPairs {
		s.benignPairs[f] += n
		s.benignScored[f] += o.benignScored[f]
		s.falsePairs[f] += o.falsePairs[f]
		s.falseFindings[f] += o.falseFindings[f]
	}
}

// benignRate is the false findings per 10,000 benign pairs, all benign
// families together.
func (s summary) benignRate() (findings, pairs int, per10k float64) {
	for f, n := range s.benignPairs {
		pairs += n
		findings += s.falseFindings[f]
	}
	return findings, pairs, 1e4 * float64(findings) / float64(max(pairs, 1))
}

// String writes the figures as two markdown tables.
func (s summary) String() string {
	var b strings.Builder
	b.WriteString("| beacons | recall (jitter ≤ 30%, ≥ 20 conns/window) |")
	for _, bd := range periodBands {
		fmt.Fprintf(&b, " %s |", bd.name)
	}
	for _, bd := range jitterBands {
		fmt.Fprintf(&b, " jitter %s |", bd.name)
	}
	b.WriteString("\n|---|---|")
	b.WriteString(strings.Repeat("---|", len(periodBands)+len(jitterBands)))
	b.WriteString("\n")
	for f := range numFamilies {
		if !f.beacon() || s.recall[f].n == 0 {
			continue
		}
		fmt.Fprintf(&b, "| %s | %v |", f, s.recall[f])
		for i := range periodBands {
			fmt.Fprintf(&b, " %v |", s.byPeriod[f][i])
		}
		for i := range jitterBands {
			fmt.Fprintf(&b, " %v |", s.byJitter[f][i])
		}
		b.WriteString("\n")
	}
	b.WriteString("\n| benign | pairs | scored (≥ MinConns) | pairs with a finding | findings | per 10,000 pairs |\n|---|---|---|---|---|---|\n")
	for f := range numFamilies {
		if f.beacon() || s.benignPairs[f] == 0 {
			continue
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %.2f |\n", f, s.benignPairs[f], s.benignScored[f], s.falsePairs[f],
			s.falseFindings[f], 1e4*float64(s.falseFindings[f])/float64(s.benignPairs[f]))
	}
	findings, pairs, rate := s.benignRate()
	fmt.Fprintf(&b, "| all benign | %d | | | %d | %.2f |\n", pairs, findings, rate)
	return b.String()
}

// newSummary is an empty summary to add runs into.
func newSummary() summary { return summarize(nil) }
