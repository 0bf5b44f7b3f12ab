package novelty

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/tlsentry/tlsentry/detector/features"
)

// Profile is what training saw.
type Profile struct {
	Schema string       `json:"schema"`
	Flows  int          `json:"flows"`
	Cats   []CatProfile `json:"cats"`   // indexed by features.Cat
	Ranges []Range      `json:"ranges"` // indexed like features.Values.Vec
	// Mid is each numeric feature's training median, for reasons that
	// compare a value with the baseline.
	Mid []float32 `json:"mid"`
	// Drift, when measured (a public corpus: SetDrift), caps what each
	// group's novelty weighs. Profiles without it weigh it uncapped.
	Drift *Drift `json:"drift,omitempty"`
	// Baseline says whose flows these are (reasons name it).
	Baseline Baseline                    `json:"baseline,omitempty"`
	caps     [features.NumGroups]float64 // Drift.caps, kept with Drift by SetDrift
}

// SetDrift makes d (FitDrift; nil: none) cap the profile's novelty, group
// by group.
func (p *Profile) SetDrift(d *Drift) { p.Drift, p.caps = d, d.caps() }

// CatProfile counts a categorical feature's values over training flows.
type CatProfile struct {
	Name    string         `json:"name"`
	Present int            `json:"present"` // flows with at least one value
	Rare    int            `json:"rare"`    // flows holding a value no other flow holds
	Counts  map[string]int `json:"counts"`  // flows holding each value
	hex     *hexSet        // the known values named in hex (index)
}

// Range is a numeric feature's training range; Used is false for features
// whose range is not checked.
type Range struct {
	Name string  `json:"name"`
	Used bool    `json:"used"`
	Lo   float32 `json:"lo"`
	Hi   float32 `json:"hi"`
	// Lo2 and Hi2 are the next distinct values inside (equal to Lo/Hi when
	// every flow had the same value); NLo and NHi count flows at Lo and Hi.
	Lo2 float32 `json:"lo2"`
	Hi2 float32 `json:"hi2"`
	NLo int     `json:"n_lo"`
	NHi int     `json:"n_hi"`
}

// Fit builds a profile from training flows' features.
func Fit(flows []*features.Values) (*Profile, error) { return FitGrouped(flows, nil) }

// FitGrouped builds a profile from training flows that come in groups
// (capture[i] names flow i's capture; nil: every flow is a group of its
// own, as Fit). The chance that a new flow shows a new value is then
// estimated as the share of flows holding a value no other group holds:
// for a model trained on many networks' captures and used on another
// one, values that only one capture showed (its servers' names, its
// client's fingerprint) are what a new network brings, however many of
// that capture's flows repeat them.
func FitGrouped(flows []*features.Values, capture []string) (*Profile, error) {
	if len(flows) == 0 {
		return nil, fmt.Errorf("novelty: no training flows")
	}
	if capture != nil && len(capture) != len(flows) {
		return nil, fmt.Errorf("novelty: %d captures named for %d flows", len(capture), len(flows))
	}
	p := &Profile{Schema: features.Schema, Flows: len(flows), Cats: make([]CatProfile, features.NumCats), Ranges: make([]Range, features.Len)}
	for c, d := range features.CatDefs() {
		cp := &p.Cats[c]
		cp.Name = d.Name
		cp.Counts = map[string]int{}
		for _, v := range flows {
			if len(v.Cats[c]) > 0 {
				cp.Present++
			}
			for _, s := range v.Cats[c] {
				cp.Counts[s]++
			}
		}
		single := singleGroup(flows, capture, features.Cat(c), cp.Counts)
		for _, v := range flows {
			for _, s := range v.Cats[c] {
				if single(s) {
					cp.Rare++
					break
				}
			}
		}
		cp.index()
	}
	p.Mid = make([]float32, features.Len)
	col := make([]float32, len(flows))
	for i := range features.Len {
		for j, v := range flows {
			col[j] = v.Vec[i]
		}
		slices.Sort(col)
		p.Mid[i] = col[len(col)/2]
	}
	for i, d := range features.Defs() {
		r := &p.Ranges[i]
		r.Name = d.Name
		if !d.Range {
			continue
		}
		r.Used = true
		r.Lo, r.Hi = float32(math.Inf(1)), float32(math.Inf(-1))
		for _, v := range flows {
			r.Lo, r.Hi = min(r.Lo, v.Vec[i]), max(r.Hi, v.Vec[i])
		}
		r.Lo2, r.Hi2 = r.Hi, r.Lo
		for _, v := range flows {
			x := v.Vec[i]
			if x == r.Lo {
				r.NLo++
			} else {
				r.Lo2 = min(r.Lo2, x)
			}
			if x == r.Hi {
				r.NHi++
			} else {
				r.Hi2 = max(r.Hi2, x)
			}
		}
	}
	return p, nil
}

// singleGroup returns whether a value of feature c is held by flows of
// one group only (one flow, without groups).
func singleGroup(flows []*features.Values, capture []string, c features.Cat, counts map[string]int) func(string) bool {
	if capture == nil {
		return func(s string) bool { return counts[s] == 1 }
	}
	first := map[string]string{} // the group of a value's first holder
	multi := map[string]bool{}
	for i, v := range flows {
		for _, s := range v.Cats[c] {
			if g, ok := first[s]; !ok {
				first[s] = capture[i]
			} else if g != capture[i] {
				multi[s] = true
			}
		}
	}
	return func(s string) bool { return !multi[s] }
}

// uniqueExtremes counts training flows that alone hold the minimum or the
// maximum (0, 1 or 2).
func (r *Range) uniqueExtremes() int {
	n := 0
	if r.NLo == 1 {
		n++
	}
	if r.NHi == 1 && r.Hi != r.Lo {
		n++
	}
	return n
}

// MarshalBinary encodes the profile (JSON: map keys sorted, so the same
// training gives the same bytes).
func (p *Profile) MarshalBinary() ([]byte, error) { return json.Marshal(p) }

// UnmarshalBinary decodes and checks a profile against this build's features.
func (p *Profile) UnmarshalBinary(data []byte) error {
	var q Profile
	if err := json.Unmarshal(data, &q); err != nil {
		return fmt.Errorf("novelty profile: %w", err)
	}
	// A profile of an older layout that this build extends judges the
	// features it knows; the appended ones it never saw add nothing.
	size, ok := features.Layout(q.Schema)
	if !ok {
		return fmt.Errorf("novelty profile: feature schema %q, this build has %q", q.Schema, features.Schema)
	}
	if len(q.Cats) != size.Cats || len(q.Ranges) != size.Len || len(q.Mid) != size.Len || q.Flows <= 0 {
		return fmt.Errorf("novelty profile: %d categorical and %d numeric features over %d flows; want %d and %d over at least one",
			len(q.Cats), len(q.Ranges), q.Flows, size.Cats, size.Len)
	}
	for c, d := range features.CatDefs()[:size.Cats] {
		cp := &q.Cats[c]
		if cp.Name != d.Name || cp.Present < 0 || cp.Present > q.Flows || cp.Rare < 0 || cp.Rare > cp.Present {
			return fmt.Errorf("novelty profile: categorical feature %d (%q) does not fit (want %q)", c, cp.Name, d.Name)
		}
		for v, n := range cp.Counts {
			if n <= 0 || n > q.Flows {
				return fmt.Errorf("novelty profile: %s value %q counted %d times in %d flows", d.Name, v, n, q.Flows)
			}
		}
	}
	for i, d := range features.Defs()[:size.Len] {
		r := &q.Ranges[i]
		if r.Name != d.Name || r.Used != d.Range || r.NLo < 0 || r.NHi < 0 || r.NLo > q.Flows || r.NHi > q.Flows {
			return fmt.Errorf("novelty profile: numeric feature %d (%q) does not fit (want %q)", i, r.Name, d.Name)
		}
	}
	if q.Drift != nil {
		if err := q.Drift.check(); err != nil {
			return err
		}
	}
	if err := q.Baseline.check(); err != nil {
		return err
	}
	for c := range q.Cats {
		q.Cats[c].index()
	}
	q.SetDrift(q.Drift)
	*p = q
	return nil
}

// Add counts more benign flows into the profile (a baseline update
// without retraining): their values become known and the ranges widen.
// Rare is recounted from the values held by one flow only, which counts
// a flow holding two such values twice: a slight overestimate of how
// often new values appear, so new values weigh a little less. Medians
// stay those of the first training. The flows are a network's own: a
// public corpus's profile becomes the corpus's and the network's.
func (p *Profile) Add(flows []*features.Values) {
	p.Baseline = p.Baseline.WithNetwork()
	for c := range p.Cats {
		cp := &p.Cats[c]
		for _, v := range flows {
			if len(v.Cats[c]) > 0 {
				cp.Present++
			}
			for _, s := range v.Cats[c] {
				cp.Counts[s]++
			}
		}
		rare := 0
		for _, n := range cp.Counts {
			if n == 1 {
				rare++
			}
		}
		cp.Rare = min(rare, cp.Present)
		cp.index()
	}
	for i := range p.Ranges {
		r := &p.Ranges[i]
		if !r.Used {
			continue
		}
		for _, v := range flows {
			x := v.Vec[i]
			switch {
			case x < r.Lo:
				r.Lo2, r.Lo, r.NLo = r.Lo, x, 1
			case x == r.Lo:
				r.NLo++
			case x < r.Lo2 || r.Lo2 == r.Lo:
				r.Lo2 = x
			}
			switch {
			case x > r.Hi:
				r.Hi2, r.Hi, r.NHi = r.Hi, x, 1
			case x == r.Hi:
				r.NHi++
			case x > r.Hi2 || r.Hi2 == r.Hi:
				r.Hi2 = x
			}
		}
	}
	p.Flows += len(flows)
}
