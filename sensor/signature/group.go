package signature

import (
	"cmp"
	"slices"

	"github.com/tlsentry/tlsentry/detector/scoring"
)

// Finding is one signature's share of an alerting flow's reasons: what
// becomes one alert record.
type Finding struct {
	Signature
	Severity int
	Bits     float64          // the evidence of its reasons together
	Reasons  []scoring.Reason // strongest first (a flow's supporting rhythm reasons last)
}

// Checks lists the finding's check ids, for the alert's metadata.
func (f *Finding) Checks() []string {
	out := make([]string, 0, len(f.Reasons))
	for _, r := range f.Reasons {
		if r.Feature != "" && !slices.Contains(out, r.Feature) {
			out = append(out, r.Feature)
		}
	}
	return out
}

// Text is the finding in words: its strongest reason's.
func (f *Finding) Text() string {
	if len(f.Reasons) == 0 {
		return f.Name
	}
	return f.Reasons[0].Text
}

// MaxFindings bounds the alert records one flow gives.
const MaxFindings = 4

// Group turns an alerting flow's reasons into findings, one per
// signature, strongest first, at most MaxFindings. The strongest is
// always a finding; the others only when they are of severity 2 or 1 on
// their own (so a flow's weak side reasons stay reasons of its main
// alert, not alerts of their own). A flow alerted on without reasons (a
// model that gives none) is one finding of the catch-all signature.
//
// A flow's rhythm reasons (its pair is a beacon, the flow's context) are
// no finding of their own while it has another notable on its own: the
// beacon tracker's alert is the periodic-connections finding, once per
// pair and window; on the flow they support its strongest finding. When
// that finding is weak (severity 3 alone), the rhythm is what alerted,
// and the flow's first finding is the periodic-connections one.
func Group(reasons []scoring.Reason) []Finding {
	out := make([]Finding, 0, min(len(reasons), MaxFindings)+1)
	var rhythm []scoring.Reason
	others := len(reasons) - countLayer(reasons, scoring.LayerRhythm)
	// Two passes: each reason's finding first, then the findings' reasons
	// carved out of one array (a flow's alert is the hot path of a flood
	// of alerts).
	var ofBuf [16]int // a flow's reasons are maxReasons and its list hits: on the stack
	of := ofBuf[:0]
	if len(reasons) > len(ofBuf) {
		of = make([]int, 0, len(reasons))
	}
	of = of[:len(reasons)]
	var counts [16]int
	for j, r := range reasons {
		of[j] = -1
		if r.Layer == scoring.LayerRhythm && others > 0 {
			rhythm = append(rhythm, r)
			continue
		}
		sig := &catalogue[place(r)]
		i := slices.IndexFunc(out, func(f Finding) bool { return f.ID == sig.ID })
		if i < 0 {
			out = append(out, Finding{Signature: *sig})
			i = len(out) - 1
		}
		of[j] = i
		if i < len(counts) {
			counts[i]++
		}
	}
	backing := make([]scoring.Reason, len(reasons))
	off := 0
	for i := range out {
		if i < len(counts) {
			out[i].Reasons = backing[off : off : off+counts[i]]
			off += counts[i]
		}
	}
	for j, r := range reasons {
		if i := of[j]; i >= 0 {
			out[i].Reasons = append(out[i].Reasons, r)
			out[i].Bits += max(r.Weight, 0)
		}
	}
	if len(out) == 0 {
		out = append(out, Finding{Signature: fallback})
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		if c := cmp.Compare(speaksFirst(a.Layer), speaksFirst(b.Layer)); c != 0 {
			return c // an operator's list speaks first, then a known exploit
		}
		return cmp.Compare(b.Bits, a.Bits)
	})
	if len(rhythm) > 0 {
		if leadsAlone(&out[0]) {
			out[0].Reasons = append(out[0].Reasons, rhythm...)
			for _, r := range rhythm {
				out[0].Bits += max(r.Weight, 0)
			}
		} else {
			// The flow alerted for its rhythm: its other findings are
			// too weak to name the alert (a new client stack worth 2.5
			// bits beside a rhythm worth 10.7 would call a beacon "a new
			// client stack").
			f := Finding{Signature: beacon, Reasons: rhythm}
			for _, r := range rhythm {
				f.Bits += max(r.Weight, 0)
			}
			out = slices.Insert(out, 0, f)
		}
	}
	kept := out[:0]
	for i := range out {
		out[i].Severity = out[i].Signature.Severity(out[i].Bits)
		if i == 0 || out[i].Severity <= 2 {
			kept = append(kept, out[i])
		}
	}
	return kept[:min(len(kept), MaxFindings)]
}

// leadsAlone reports whether a flow's strongest finding other than its
// rhythm names its alert: an operator's list or an exploit, or a finding
// notable on its own (severity 1 or 2). The rhythm then supports it.
func leadsAlone(f *Finding) bool {
	return speaksFirst(f.Layer) < 2 || f.Signature.Severity(f.Bits) <= 2
}

// speaksFirst orders the layers whose findings alert whatever the score
// before the others: the operator's lists (0), known exploits (1).
func speaksFirst(layer string) int {
	switch layer {
	case scoring.LayerLists:
		return 0
	case scoring.LayerExploit:
		return 1
	}
	return 2
}

// countLayer counts the reasons of one layer.
func countLayer(reasons []scoring.Reason, layer string) int {
	n := 0
	for _, r := range reasons {
		if r.Layer == layer {
			n++
		}
	}
	return n
}
