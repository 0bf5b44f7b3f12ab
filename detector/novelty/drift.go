package novelty

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/tlsentry/tlsentry/detector/features"
)

// Drift measures how fast the training flows' world moves: the captures
// are put in date order and cut in two halves, a profile is fitted on the
// earlier half, and Novel counts, group by group, the flows of the later
// half that it finds new. A profile from a public corpus (many networks,
// years apart) meets clients and servers newer than any of its captures:
// what it finds new in them is worth no more than what its own later
// captures showed against its earlier ones. Score caps each group's
// bits at that rate's, as it weighs every other rate (bits).
type Drift struct {
	Flows int `json:"flows"` // flows of the later half
	// Novel counts, by features.Group, the later flows with a finding of
	// the group against the earlier half's profile.
	Novel []int `json:"novel"`
	// Split is the date the later half starts from.
	Split string `json:"split"`
}

// FitDrift measures the drift of training flows (capture[i] names flow
// i's capture, start[i] its start): captures are ordered by their first
// flow and cut where half the flows are behind, a capture staying whole.
// It returns nil when either half is empty (one capture, say).
func FitDrift(flows []*features.Values, capture []string, start []time.Time) (*Drift, error) {
	if len(capture) != len(flows) || len(start) != len(flows) {
		return nil, fmt.Errorf("novelty: drift needs a capture and a start for each of %d flows", len(flows))
	}
	first := map[string]time.Time{}
	for i, c := range capture {
		if t, ok := first[c]; !ok || start[i].Before(t) {
			first[c] = start[i]
		}
	}
	order := make([]int, len(flows))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if c := first[capture[a]].Compare(first[capture[b]]); c != 0 {
			return c
		}
		return cmp.Compare(capture[a], capture[b])
	})
	cut := len(order) / 2
	for cut > 0 && cut < len(order) && capture[order[cut]] == capture[order[cut-1]] {
		cut++
	}
	if cut == 0 || cut >= len(order) {
		return nil, nil
	}
	var earlier []*features.Values
	var earlierCapture []string
	for _, i := range order[:cut] {
		earlier, earlierCapture = append(earlier, flows[i]), append(earlierCapture, capture[i])
	}
	prof, err := FitGrouped(earlier, earlierCapture)
	if err != nil {
		return nil, err
	}
	d := &Drift{Novel: make([]int, features.NumGroups), Split: first[capture[order[cut]]].UTC().Format("2006-01-02")}
	var found []Finding
	for _, i := range order[cut:] {
		v := *flows[i]
		_, found = prof.Score(&v, false, found[:0])
		var seen [features.NumGroups]bool
		for _, f := range found {
			seen[f.Group] = true
		}
		for g, s := range seen {
			if s {
				d.Novel[g]++
			}
		}
		d.Flows++
	}
	return d, nil
}

// Cap is the most group g's novelty weighs under d: -log2 of the
// smoothed rate of later flows that showed it (0: no cap).
func (d *Drift) Cap(g features.Group) float64 {
	if d == nil || int(g) >= len(d.Novel) {
		return 0
	}
	return bits(d.Flows, d.Novel[g])
}

// check reports a Drift that does not fit this build.
func (d *Drift) check() error {
	if d.Flows <= 0 || len(d.Novel) > int(features.NumGroups) {
		return fmt.Errorf("novelty profile: drift over %d flows in %d groups", d.Flows, len(d.Novel))
	}
	for g, k := range d.Novel {
		if k < 0 || k > d.Flows {
			return fmt.Errorf("novelty profile: drift: %d of %d later flows new in group %d", k, d.Flows, g)
		}
	}
	return nil
}

// caps is each group's Cap, for Score to take without a logarithm a
// flow (+Inf: no cap).
func (d *Drift) caps() (c [features.NumGroups]float64) {
	for g := range c {
		c[g] = math.Inf(1)
		if d != nil && g < len(d.Novel) {
			c[g] = d.Cap(features.Group(g))
		}
	}
	return c
}
