package beacon

import (
	"testing"
	"time"
)

// The acceptance figures of issue 16 on generated traffic: recall ≥ 0.95 on
// beacons with jitter ≤ 30% and ≥ 20 connections in the window, and at
// most 1 false finding per 10,000 benign pairs, with the default Config.
//
// The score's weights, cut-offs and threshold were tuned on seed 1 with
// the uniform and gaussian jitter shapes only. Seeds 2 and 3, the
// sleep-less jitter shape (Cobalt Strike's) in every seed, the same-sizes
// variant (benign sizes that tell nothing, as with flows handed out at
// handshake end) and the staggered fleets were not looked at until the
// tuning was done: they check that it did not overfit.
//
// Staggered fleets miss the false-finding goal: an update server's first
// two or three pollers, alone with it for hours, look exactly like one
// implant on three hosts until more hosts join (2.7 per 10,000 benign
// pairs on seed 5). That run asserts a looser bound, to catch regressions.
var acceptanceRuns = []struct {
	name      string
	seed      uint64
	mod       func(*genSpec)
	maxPer10k float64 // false findings per 10,000 benign pairs
}{
	{"seed 1 (tuning)", 1, nil, 1},
	{"seed 2", 2, nil, 1},
	{"seed 3", 3, nil, 1},
	{"seed 4, benign sizes all the same", 4, func(s *genSpec) { s.sameSizes = true }, 1},
	{"seed 5, fleets that start staggered", 5, func(s *genSpec) { s.staggered = true }, 4},
}

func TestAcceptance(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and tracks 5 streams of about 2 M connections")
	}
	runs := acceptanceRuns
	if raceEnabled {
		runs = runs[:1] // the tracking is one goroutine: the race detector has little to see here
	}
	total := newSummary()
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) {
			spec := defaultSpec()
			if run.mod != nil {
				run.mod(&spec)
			}
			start := time.Now()
			st := generate(run.seed, spec)
			out, tr := runStream(t, Config{}, st)
			s := summarize(out)
			total.add(s)
			t.Logf("%d connections, %d pairs (%v): %+v\n%v", len(st.conns), len(st.pairs), time.Since(start).Round(time.Millisecond), tr.Stats(), s)
			checkGoals(t, s, run.maxPer10k)
		})
	}
	t.Logf("all runs:\n%v", total)
}

func checkGoals(t *testing.T, s summary, maxPer10k float64) {
	t.Helper()
	for f := range numFamilies {
		if r := s.recall[f]; f.beacon() && r.n > 0 && r.rate() < 0.95 {
			t.Errorf("%s: recall %v, want ≥ 0.95", f, r)
		}
	}
	if findings, pairs, rate := s.benignRate(); rate > maxPer10k {
		t.Errorf("%d false findings in %d benign pairs: %.2f per 10,000, want ≤ %g", findings, pairs, rate, maxPer10k)
	}
}
