package evidence

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// An Era is the part of the calibration corpus captured from From until
// the next era's From, with rates of its own: what clients offer changes
// with the years, and a flow is judged by the traffic of its time. TLS
// 1.0 as a client's best was ordinary in 2015 and is rare since browsers
// dropped it in 2020 (in the public corpus, 32 of 192 hellos before 2020,
// 1 of 435 since); so are the missing server name, certificates valid
// for years and export suites offered.
type Era struct {
	From       time.Time       `json:"from"`
	Flows      int             `json:"flows"`
	SpokeFlows int             `json:"spoke_flows"`
	HelloFlows int             `json:"hello_flows"`
	Rates      map[string]Rate `json:"rates"`
}

// minEraFlows is the fewest corpus flows of an era a rate is taken from;
// below it the whole corpus's rate stands (an era with three TLS 1.3
// flows says little about TLS 1.3 servers).
const minEraFlows = 50

// eraOf is the index of the era of flow x, -1 when it has none (no eras,
// or an undated flow: clock.go).
func eraOf(eras []Era, x *Input) int {
	if len(eras) == 0 || !clockTrusted(x) {
		return -1
	}
	start, e := x.Flow.Start, -1
	for i := range eras {
		if start.Before(eras[i].From) {
			break
		}
		e = i
	}
	return e
}

// splitEras makes the eras that the boundaries cut time into, the first
// from the start of time (boundaries sorted, repeats dropped); none
// without boundaries.
func splitEras(splits []time.Time) []Era {
	if len(splits) == 0 {
		return nil
	}
	s := make([]time.Time, len(splits))
	for i, b := range splits {
		s[i] = b.UTC()
	}
	slices.SortFunc(s, time.Time.Compare)
	s = slices.CompactFunc(s, time.Time.Equal)
	eras := []Era{{Rates: map[string]Rate{}}}
	for _, b := range s {
		eras = append(eras, Era{From: b, Rates: map[string]Rate{}})
	}
	return eras
}

// A model file's table holds at most these (a real one: two eras, some
// fifty rates), so that a corrupt file cannot make loading it slow.
const (
	maxEras  = 16
	maxRates = 1024
)

// checkEras checks decoded eras against the whole corpus's counts.
func checkEras(eras []Era, flows int) error {
	if len(eras) > maxEras {
		return fmt.Errorf("evidence table: %d eras (at most %d)", len(eras), maxEras)
	}
	n := 0
	for i, e := range eras {
		if i > 0 && !e.From.After(eras[i-1].From) {
			return fmt.Errorf("evidence table: era %d starts %s, not after era %d", i, e.From.Format(time.DateOnly), i-1)
		}
		if len(e.Rates) > maxRates {
			return fmt.Errorf("evidence table: era %d: %d rates (at most %d)", i, len(e.Rates), maxRates)
		}
		if e.Flows < 0 || e.SpokeFlows < 0 || e.HelloFlows < 0 || e.SpokeFlows > e.Flows || e.HelloFlows > e.Flows {
			return fmt.Errorf("evidence table: era %d: %d flows, %d that spoke, %d hellos", i, e.Flows, e.SpokeFlows, e.HelloFlows)
		}
		for id, r := range e.Rates {
			if r.Fired < 0 || r.Applied < r.Fired || r.Applied > e.Flows {
				return fmt.Errorf("evidence table: era %d: check %s fired %d times in %d flows (of %d)", i, id, r.Fired, r.Applied, e.Flows)
			}
		}
		n += e.Flows
	}
	if n > flows {
		return fmt.Errorf("evidence table: the eras hold %d flows, the corpus %d", n, flows)
	}
	return nil
}

// eraLabel words era i for a finding's tail ("" for the whole corpus).
func eraLabel(eras []Era, i int) string {
	if i < 0 {
		return ""
	}
	date := func(t time.Time) string {
		if t.YearDay() == 1 && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
			return fmt.Sprint(t.Year())
		}
		return t.Format(time.DateOnly)
	}
	switch {
	case i == 0 && len(eras) > 1:
		return " captured before " + date(eras[1].From)
	case i == len(eras)-1:
		return " captured since " + date(eras[i].From)
	default:
		return " captured from " + date(eras[i].From) + " to " + date(eras[i+1].From)
	}
}

// eraAlpha is how unlikely by chance an era's rate of a check must be,
// against the rest of the corpus, for the era to judge with its own
// rate: about 0.05 shared among the forty-odd checks compared. Where the
// eras do not differ, the whole corpus's rate stands: it is counted on
// more flows, and splitting it would only blur it.
const eraAlpha = 0.001

// eraDiffers reports whether check rate r of an era differs from the
// rest of the corpus's (whole minus the era's) beyond chance: Fisher's
// exact test, two-sided.
func eraDiffers(r, whole Rate) bool {
	rest := Rate{Fired: whole.Fired - r.Fired, Applied: whole.Applied - r.Applied}
	if rest.Fired < 0 || rest.Applied < rest.Fired {
		return false // not counted on the same corpus
	}
	return fisherExact(r.Fired, r.Applied, rest.Fired, rest.Applied) < eraAlpha
}

// fisherExact is the two-sided p-value of Fisher's exact test that a of
// n and b of m are draws of one rate: the probability, with the margins
// fixed, of a split as likely as the one seen or less.
func fisherExact(a, n, b, m int) float64 {
	total, k := n+m, a+b
	lo, hi := max(0, n-(total-k)), min(k, n)
	if hi-lo > maxExactSplits {
		return twoProportionZ(a, n, b, m)
	}
	logP := func(x int) float64 { return logChoose(k, x) + logChoose(total-k, n-x) - logChoose(total, n) }
	seen := logP(a)
	p := 0.0
	for x := lo; x <= hi; x++ {
		if lp := logP(x); lp <= seen+1e-7 {
			p += math.Exp(lp)
		}
	}
	return min(p, 1)
}

// maxExactSplits bounds the exact test's work (a model file's counts are
// read from disk); past it, counts are large enough for the normal
// approximation.
const maxExactSplits = 2000

// twoProportionZ is the two-sided p-value of the two-proportion z-test
// (pooled variance): Fisher's test for large counts.
func twoProportionZ(a, n, b, m int) float64 {
	if n == 0 || m == 0 {
		return 1
	}
	p := float64(a+b) / float64(n+m)
	se := math.Sqrt(p * (1 - p) * (1/float64(n) + 1/float64(m)))
	if se == 0 {
		return 1
	}
	z := (float64(a)/float64(n) - float64(b)/float64(m)) / se
	return math.Erfc(math.Abs(z) / math.Sqrt2)
}

func logChoose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

// Without is the table as if the corpus flows in had not been counted
// (they must have been): what a capture's flows weigh against the rest of
// the corpus, as flows of a network the corpus never saw would. The
// names, the authorities and servers learned of a site stay.
func (t *Table) Without(in []*Input) *Table {
	u := t.recount(in, subtract)
	u.prepare()
	return u
}

// With is the table with a network's own benign flows in counted too,
// named by what (as "this network's training"): a fact neither the
// corpus nor the network showed is rarer than either says alone, and one
// the network shows often is, there, less surprising than the corpus's
// rate says. The names, the authorities and servers learned of a site
// stay.
func (t *Table) With(in []*Input, what string) *Table {
	u := t.recount(in, sum)
	if len(in) > 0 {
		u.Corpus = fmt.Sprintf("%s, and %d flows of %s", t.Corpus, len(in), what)
	}
	u.prepare()
	return u
}

// recount is a copy of t whose counts, whole and era by era, are
// combine(t's, in's): in counted in (sum) or out (subtract).
func (t *Table) recount(in []*Input, combine func(a, b Era) Era) *Table {
	counted := Era{Rates: map[string]Rate{}}
	countedEra := make([]Era, len(t.Eras))
	for e := range countedEra {
		countedEra[e] = Era{From: t.Eras[e].From, Rates: map[string]Rate{}}
	}
	t.tally(in, &counted, countedEra)
	u := *t
	whole := combine(Era{Flows: t.Flows, SpokeFlows: t.SpokeFlows, HelloFlows: t.HelloFlows, Rates: t.Rates}, counted)
	u.Flows, u.SpokeFlows, u.HelloFlows, u.Rates = whole.Flows, whole.SpokeFlows, whole.HelloFlows, whole.Rates
	u.Eras = make([]Era, len(t.Eras))
	for e := range t.Eras {
		u.Eras[e] = combine(t.Eras[e], countedEra[e])
	}
	return &u
}

// sum is era a's counts and b's; the dynamic checks apply to them all.
func sum(a, b Era) Era {
	out := Era{From: a.From, Flows: a.Flows + b.Flows, SpokeFlows: a.SpokeFlows + b.SpokeFlows,
		HelloFlows: a.HelloFlows + b.HelloFlows, Rates: make(map[string]Rate, len(a.Rates))}
	for id, r := range a.Rates {
		out.Rates[id] = r
	}
	for id, d := range b.Rates {
		r := out.Rates[id]
		r.Fired, r.Applied = r.Fired+d.Fired, r.Applied+d.Applied
		out.Rates[id] = r
	}
	finishCount(&out)
	return out
}

// subtract is era a's counts less b's (never below zero); the dynamic
// checks apply to the flows left.
func subtract(a, b Era) Era {
	out := Era{From: a.From, Flows: max(a.Flows-b.Flows, 0), SpokeFlows: max(a.SpokeFlows-b.SpokeFlows, 0),
		HelloFlows: max(a.HelloFlows-b.HelloFlows, 0), Rates: make(map[string]Rate, len(a.Rates))}
	for id, r := range a.Rates {
		d := b.Rates[id]
		r.Fired, r.Applied = max(r.Fired-d.Fired, 0), max(r.Applied-d.Applied, 0)
		r.Fired = min(r.Fired, r.Applied)
		out.Rates[id] = r
	}
	finishCount(&out)
	return out
}
