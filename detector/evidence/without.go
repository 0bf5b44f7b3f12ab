package evidence

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// ScoresWithout is, for each flow of in, which t counted (With), its
// score in t without its own count (Without): a fact that only this flow
// showed weighs there as a fact none of the counted flows showed; one
// that many of them showed, nearly as in t. Set apart from what t
// scores, it tells the flows that the others counted with them do not
// vouch for: an odd flow among a network's benign ones, which its own
// count would otherwise hide.
//
// Flows that add the same counts leave the same table behind, so a table
// is computed once per kind of flow, not per flow.
func (t *Table) ScoresWithout(in []*Input) []float64 {
	out := make([]float64, len(in))
	without := map[string]*Table{}
	for i, x := range in {
		k := t.countKey(x)
		u, ok := without[k]
		if !ok {
			u = t.Without([]*Input{x})
			without[k] = u
		}
		out[i], _ = u.ScoreFired(x)
	}
	return out
}

// countKey names what counting x adds to t's counts, whole and in its
// era: the checks that applied to it, those that fired (as calibration
// counts them), and the flows the dynamic checks apply to.
func (t *Table) countKey(x *Input) string {
	c := Era{Rates: map[string]Rate{}}
	t.count(&c, x)
	var b strings.Builder
	b.WriteString(strconv.Itoa(eraOf(t.Eras, x)))
	for _, id := range slices.Sorted(maps.Keys(c.Rates)) {
		r := c.Rates[id]
		b.WriteString("|" + id + ":" + strconv.Itoa(r.Fired) + ":" + strconv.Itoa(r.Applied))
	}
	b.WriteString("|" + strconv.Itoa(c.SpokeFlows) + ":" + strconv.Itoa(c.HelloFlows))
	return b.String()
}
