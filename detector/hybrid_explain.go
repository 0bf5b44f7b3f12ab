package detector

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/tlsentry/tlsentry/detector/cnn"
	"github.com/tlsentry/tlsentry/detector/evidence"
	"github.com/tlsentry/tlsentry/detector/features"
	"github.com/tlsentry/tlsentry/detector/novelty"
	"github.com/tlsentry/tlsentry/detector/scoring"
)

// Explain lists what made the flow's score, strongest first: the
// evidence checks that fired (one per fact), the novel values (one per
// fact), and, when the forest found the flow unusual, the handshake
// feature or the byte region of the first bytes that set it apart.
// Reasons about a TLS stack are not given for a flow that has none. A
// flow of the last chunk Score worked on (an alert of the batch just
// scored) is explained from what Score computed, without encoding it,
// walking the forest or scoring its novelty again.
func (s *hybridScorer) Explain(in Input) []Reason {
	i := s.heldIndex(in)
	if i < 0 {
		i = 0
		s.fill([]Input{in})
		s.scoreForest(1)
	}
	var found []novelty.Finding
	if s.nHeld > 0 && !s.foundLeaveOut {
		found = s.foundAt[i] // what Score found, scoring as Explain does
	} else {
		_, s.found = s.prof.Score(&s.vals[i], false, s.found[:0])
		found = s.found
	}
	forest := s.forestBits(i)
	v := &s.vals[i]
	x := &evidence.Input{Flow: in.Flow, TLS: s.hs[i], T: &v.T}
	var checked []evidence.Finding
	if s.nHeld > 0 {
		checked = s.ev.ExplainFired(x, s.firedAt[i]) // the checks Score saw fire
	} else {
		checked = s.ev.Explain(x)
	}
	// Room for every reason at once: grown by appends, the slice of
	// these large structs was copied three or four times an alert.
	reasons := make([]Reason, 0, len(checked)+len(in.Context)+len(found)+2)
	for _, f := range checked {
		if f.Counted {
			reasons = append(reasons, evidenceReason(f))
		}
	}
	reasons = append(reasons, scoring.ContextReasons(in.Context)...)
	novelty.MarkCounted(found)
	for i := range found {
		f := &found[i]
		if f.Counted {
			reasons = append(reasons, Reason{Layer: scoring.LayerLearned, Feature: f.Name(), Field: f.Name(), Value: findingValue(f),
				Text: "new to " + s.prof.Baseline.Name() + " (" + f.Group.String() + "): " + f.Text(), Weight: f.Bits})
		}
	}
	if forest >= 1 {
		reasons = append(reasons, s.forestReasons(i, in, forest)...)
	}
	slices.SortStableFunc(reasons, func(a, b Reason) int { return cmp.Compare(b.Weight, a.Weight) })
	return reasons[:min(len(reasons), maxReasons)]
}

// evidenceReason is an evidence check's finding as a reason.
func evidenceReason(f evidence.Finding) Reason {
	return Reason{Layer: scoring.LayerEvidence, Feature: f.ID, Field: f.Field, Value: f.Value, Text: "evidence: " + f.Text, Weight: f.Bits}
}

func findingValue(f *novelty.Finding) string {
	if f.Cat {
		if len(f.Values) > 0 {
			return f.Values[0]
		}
		return ""
	}
	return features.Defs()[f.Index].Text(f.Value)
}

// forestReasons says what set the flow apart in the forest: the
// handshake feature or the region of the first bytes (through the CNN
// code) whose splits isolated it most, with the forest's bits shared
// between them by their part of the isolation.
func (s *hybridScorer) forestReasons(i int, in Input, bits float64) []Reason {
	s.forest.Contributions(s.rows[i], s.contrib)
	v := &s.vals[i]
	absent := absentGroups(v)
	var band [8]float64 // the CNN code's rows: 128 prefix bytes each
	total := 0.0
	for j, c := range s.contrib {
		if c <= 0 {
			continue
		}
		if j < cnn.CodeSize {
			band[(j%64)/8] += c
		} else if absent[features.Defs()[j-cnn.CodeSize].Group] {
			continue
		}
		total += c
	}
	if total <= 0 {
		return nil
	}
	// Candidates are ranked first and only the two given are worded:
	// j < 0 stands for the byte region, else the handshake feature j.
	// The two strongest are kept as they come, a tie going to the first:
	// a stable sort's first two.
	type cand struct {
		j int
		c float64
	}
	var top [2]cand
	n := 0
	consider := func(x cand) {
		switch {
		case n == 0 || x.c > top[0].c:
			top[1], top[0] = top[0], x
		case n == 1 || x.c > top[1].c:
			top[1] = x
		}
		n = min(n+1, 2)
	}
	b := 0
	for i := range band {
		if band[i] > band[b] {
			b = i
		}
	}
	if band[b] > 0 {
		consider(cand{-1, band[b]})
	}
	defs := features.Defs()
	for j, c := range s.contrib[cnn.CodeSize:] {
		if c > 0 && !absent[defs[j].Group] {
			consider(cand{j, c})
		}
	}
	var out []Reason
	for _, c := range top[:n] {
		w := bits * c.c / total
		if w < 0.5 {
			continue
		}
		if c.j < 0 {
			lo, hi := 128*b, 128*b+127
			out = append(out, Reason{Layer: scoring.LayerLearned, Feature: "prefix.bytes", Field: "prefix", Weight: w,
				Value: strconv.Itoa(lo) + "-" + strconv.Itoa(hi),
				Text:  "first bytes unlike those of " + s.prof.Baseline.Name() + ": " + describeBytes(in.Flow, v, lo, hi) + " differ from typical flows"})
			continue
		}
		d, x := defs[c.j], v.Vec[c.j]
		out = append(out, Reason{Layer: scoring.LayerLearned, Feature: d.Name, Field: d.Name, Value: d.Text(x), Weight: w,
			Text: "unusual for " + s.prof.Baseline.Name() + ": " + d.Label + " " + d.Text(x) + " (training median " + d.Text(s.prof.Mid[c.j]) + ")"})
	}
	return out
}

// absentGroups marks the feature groups whose subject the flow lacks (no
// ClientHello: no client stack), as novelty does.
func absentGroups(v *features.Values) (a [features.NumGroups]bool) {
	a[features.GClient] = v.Vec[features.FClientHello] == 0
	a[features.GServer] = v.Vec[features.FServerHello] == 0
	a[features.GCert] = v.Vec[features.FCertPresent] == 0 && v.Vec[features.FServerEncRecords] == 0
	return a
}
