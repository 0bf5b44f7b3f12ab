package novelty

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tlsentry/tlsentry/detector/features"
)

// Finding is one novel feature of a flow.
type Finding struct {
	Cat     bool     // categorical (Index is a features.Cat) or numeric (a vector index)
	Index   int      // which feature
	Values  []string // categorical: the new values (at most maxValues)
	Value   float32  // numeric: the value
	Lo, Hi  float32  // numeric: the training range
	Bits    float64  // how surprising: -log2 of the chance of something this new
	Known   int      // categorical: distinct values training saw
	Present int      // flows in training with the feature
	Group   features.Group
	// Counted is false for a finding outweighed by a stronger one of its
	// group: the same fact, listed but not added (see MarkCounted).
	Counted bool
	// Drift, when set, capped Bits: the profile's later training
	// captures showed novelty of the group this often (Drift.Novel of
	// Drift.Flows), so it weighs no more.
	Drift *Drift
}

const maxValues = 3

// Score returns a flow's novelty in bits and appends its findings to
// found (which may be nil). With leaveOut the flow is taken to be one of
// the training flows and its own contribution to the profile is removed.
//
// Findings are grouped by the fact they describe (features.Group): a
// group adds only its strongest finding, so that a new client library,
// which shows in its JA4, JA3N, cipher list and extension list at once,
// counts once. A group whose subject the flow does not have (no
// ClientHello: no client stack) adds nothing; the protocol group says it.
//
// Values a set feature holds as code points (features.ExtractCoded) are
// tested as numbers; Score names them in v only when one is new (or with
// leaveOut), to say which.
func (p *Profile) Score(v *features.Values, leaveOut bool, found []Finding) (float64, []Finding) {
	var best [features.NumGroups]float64
	from := len(found)
	absent := absentGroups(v)
	cats := features.CatDefs()
	for c := range p.Cats {
		g := cats[c].Group
		if absent[g] {
			continue
		}
		if codes, ok := v.Coded(features.Cat(c)); ok {
			if !leaveOut && p.Cats[c].knowsAll(codes) {
				continue
			}
			v.Name(features.Cat(c))
		}
		values := v.Cats[c]
		if !leaveOut {
			// The values before the first new one add nothing: cat
			// starts there, and most flows have none.
			values = values[p.Cats[c].knownPrefix(values):]
			if len(values) == 0 {
				continue
			}
		}
		f, ok := p.cat(features.Cat(c), values, leaveOut)
		if ok {
			f.Group = g
			best[g] = max(best[g], f.Bits)
			found = append(found, f)
		}
	}
	defs := features.Defs()
	for _, i := range rangeChecked {
		if i >= len(p.Ranges) {
			break // a profile of an older, shorter layout
		}
		// Most values lie inside the range: no finding to build (tested
		// first, the cheaper test).
		if r := &p.Ranges[i]; !r.Used || (!leaveOut && v.Vec[i] >= r.Lo && v.Vec[i] <= r.Hi) {
			continue
		}
		g := defs[i].Group
		if absent[g] {
			continue
		}
		f, ok := p.numeric(i, v.Vec[i], leaveOut)
		if ok {
			f.Group = g
			best[g] = max(best[g], f.Bits)
			found = append(found, f)
		}
	}
	if d := p.Drift; d != nil {
		for g := range best {
			best[g] = min(best[g], p.caps[g])
		}
		for i := from; i < len(found); i++ {
			if f := &found[i]; f.Bits > best[f.Group] {
				f.Bits, f.Drift = best[f.Group], d
			}
		}
	}
	total := 0.0
	for _, b := range best {
		total += b
	}
	return total, found
}

// rangeChecked lists, in order, the numeric features whose training range
// is checked (features.Def.Range, which every profile's Range.Used copies:
// Fit sets it so and UnmarshalBinary refuses another), a fifth of the
// vector: Score looks at no other.
var rangeChecked = func() (idx []int) {
	for i, d := range features.Defs() {
		if d.Range {
			idx = append(idx, i)
		}
	}
	return idx
}()

// absentGroups marks the groups whose subject the flow lacks.
func absentGroups(v *features.Values) (a [features.NumGroups]bool) {
	a[features.GClient] = v.Vec[features.FClientHello] == 0
	a[features.GServer] = v.Vec[features.FServerHello] == 0
	a[features.GCert] = v.Vec[features.FCertPresent] == 0 && v.Vec[features.FServerEncRecords] == 0
	return a
}

// MarkCounted sorts findings strongest first and marks the first of each
// group as counted.
func MarkCounted(found []Finding) {
	slices.SortStableFunc(found, func(a, b Finding) int { return cmp.Compare(b.Bits, a.Bits) })
	var seen [features.NumGroups]bool
	for i := range found {
		g := found[i].Group
		found[i].Counted = g < features.NumGroups && !seen[g]
		if g < features.NumGroups {
			seen[g] = true
		}
	}
}

func (p *Profile) cat(c features.Cat, values []string, leaveOut bool) (Finding, bool) {
	cp := &p.Cats[c]
	present, rare := cp.Present, cp.Rare
	var novel []string
	for _, s := range values {
		// A value is new when training did not see it: with leaveOut,
		// when its count is this flow's own at most; else when it is not
		// known. One look-up either way.
		if leaveOut && cp.Counts[s] > 1 || !leaveOut && cp.known(s) {
			continue
		}
		if len(novel) < maxValues {
			novel = append(novel, s)
		} else if len(novel) == maxValues {
			novel = append(novel, "…")
		}
	}
	if len(novel) == 0 {
		return Finding{}, false
	}
	if leaveOut {
		present, rare = present-1, max(rare-1, 0)
	}
	if present <= 0 {
		// Training never had this feature at all (no ClientHello ever,
		// say): its values are as new as can be.
		present = 0
	}
	return Finding{Cat: true, Index: int(c), Values: novel, Bits: bits(present, rare), Known: len(cp.Counts), Present: present}, true
}

func (p *Profile) numeric(i int, x float32, leaveOut bool) (Finding, bool) {
	r := &p.Ranges[i]
	if !r.Used {
		return Finding{}, false
	}
	lo, hi, n, u := r.Lo, r.Hi, p.Flows, r.uniqueExtremes()
	if leaveOut {
		n--
		switch {
		case x == r.Lo && r.NLo == 1 && x != r.Hi:
			lo, u = r.Lo2, u-1
		case x == r.Hi && r.NHi == 1 && x != r.Lo:
			hi, u = r.Hi2, u-1
		}
		if n <= 0 {
			return Finding{}, false
		}
	}
	if x >= lo && x <= hi {
		return Finding{}, false
	}
	return Finding{Index: i, Value: x, Lo: lo, Hi: hi, Bits: bits(n, u), Present: n}, true
}

// bits is -log2 of the chance that a new flow shows something new, when
// k of n training flows did: (k+1)/(n+1), so that it is finite and never
// more than log2(n+1).
func bits(n, k int) float64 {
	return math.Log2(float64(n+1) / float64(k+1))
}

// Text says what a finding means, in words (built without fmt: an alert
// words each of its findings).
func (f *Finding) Text() string {
	t := f.text()
	if d := f.Drift; d != nil {
		// Built without fmt, as the rest.
		t += "; worth at most " + strconv.FormatFloat(f.Bits, 'f', 1, 64) + " bits: " + strconv.Itoa(d.Novel[f.Group]) + " of " + strconv.Itoa(d.Flows) +
			" flows of the training captures from " + d.Split + " on brought a " + f.Group.String() + " new to the earlier ones"
	}
	return t
}

func (f *Finding) text() string {
	if f.Cat {
		d := features.CatDefs()[f.Index]
		vals := make([]string, len(f.Values))
		for i, s := range f.Values {
			vals[i] = d.CatText(features.Cat(f.Index), s)
		}
		if f.Present == 0 {
			return d.Label + " " + strings.Join(vals, ", ") + ": training flows never had one"
		}
		// Known counts distinct values, Present flows: say which is which.
		values := "distinct values"
		if f.Known == 1 {
			values = "distinct value"
		}
		return d.Label + " " + strings.Join(vals, ", ") + " never seen in training (" + strconv.Itoa(f.Known) + " " + values + " in " + strconv.Itoa(f.Present) + " flows)"
	}
	d := features.Defs()[f.Index]
	if d.Format == features.FormatFlag {
		return d.Label + ": " + d.Text(f.Value) + "; always " + d.Text(f.Lo) + " in training"
	}
	if f.Lo == f.Hi {
		return d.Label + " " + d.Text(f.Value) + "; always " + d.Text(f.Lo) + " in training"
	}
	return d.Label + " " + d.Text(f.Value) + " outside training range " + d.Text(f.Lo) + " to " + d.Text(f.Hi)
}

// Name is the feature's stable name.
func (f *Finding) Name() string {
	if f.Cat {
		return features.CatDefs()[f.Index].Name
	}
	return features.Defs()[f.Index].Name
}
