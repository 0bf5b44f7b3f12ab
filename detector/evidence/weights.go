package evidence

import (
	"strings"

	"github.com/tlsentry/tlsentry/flow"
)

// weights are a table's bits for the flows of one era, or of no era.
// Each rate comes from the era's flows when it has enough of them, else
// from the whole corpus: src says which (an era index, or -1).
type weights struct {
	bits     []float64          // per fixed check
	src      []int              // per fixed check
	decides  []bool             // per fixed check: a violation raised to Table.decisive
	rate     []float64          // per fixed check: its rate's bits, raised or not
	notTLS   map[string]float64 // by protocol label
	preamble map[string]float64 // by preamble kind
	unseenNT float64            // a protocol label the corpus never had
	unseenPr float64
	ntSrc    int // where the protocol labels' rates come from
	prSrc    int // where the preambles' rates come from
}

// prepare computes the weights from the rates, and words the findings'
// tails.
func (t *Table) prepare() {
	t.knownBr, _ = knownBreachSet(t.KnownBreaches) // checked when decoded; LearnBreaches keeps it valid
	t.weigh()
	t.known, _ = knownSet(t.KnownIssuers) // checked when decoded; LearnIssuers keeps it valid
	t.knownFl, _ = knownFlightSet(t.KnownFlights)
	t.knownSelf, _ = knownSelfMadeSet(t.KnownSelfMade)
	t.tails = map[tailKey]string{}
	for e := -1; e < len(t.Eras); e++ {
		rates, spoke, hello := t.counts(e)
		for _, c := range checks {
			k := tailKey{c.id, rates[c.id].Applied, e}
			t.tails[k] = t.wordTail(k)
		}
		for id := range rates {
			for _, n := range []int{spoke, hello} {
				k := tailKey{id, n, e}
				t.tails[k] = t.wordTail(k)
			}
		}
	}
}

// weigh computes the weights of every era and of no era: all that
// SetDecisive changes (the tails do not depend on it).
func (t *Table) weigh() {
	t.all = t.weightsOf(-1)
	t.eraW = make([]weights, len(t.Eras))
	for e := range t.Eras {
		t.eraW[e] = t.weightsOf(e)
	}
}

// counts are era e's rates and flows (e = -1: the whole corpus's).
func (t *Table) counts(e int) (rates map[string]Rate, spoke, hello int) {
	if e < 0 {
		return t.Rates, t.SpokeFlows, t.HelloFlows
	}
	return t.Eras[e].Rates, t.Eras[e].SpokeFlows, t.Eras[e].HelloFlows
}

// weightsOf computes the weights of era e (-1: of no era). A rate is the
// era's where the era has at least minEraFlows flows for it and differs
// from the rest of the corpus beyond chance; else the whole corpus's.
func (t *Table) weightsOf(e int) weights {
	rates, spoke, hello := t.counts(e)
	w := weights{bits: make([]float64, len(checks)), src: make([]int, len(checks)), decides: make([]bool, len(checks)),
		rate: make([]float64, len(checks)), notTLS: map[string]float64{}, preamble: map[string]float64{}}
	for i, c := range checks {
		r, src := rates[c.id], e
		if e >= 0 && (r.Applied < minEraFlows || !eraDiffers(r, t.Rates[c.id])) {
			r, src = t.Rates[c.id], -1
		}
		w.bits[i], w.src[i] = r.Bits(), src
		w.rate[i] = w.bits[i]
		// Decisive only where the whole corpus never showed it (an era's
		// own rate may be 0 where another era's flows showed it), nor the
		// site's training.
		_, known := t.knownBr[c.id]
		if whole := t.Rates[c.id]; c.violation && !known && whole.Fired == 0 && whole.Applied > 0 && t.decisive > w.bits[i] {
			w.bits[i], w.decides[i] = t.decisive, true
		}
	}
	// The protocols a client spoke and the bytes before its hellos: one
	// source for all labels of a kind (an unseen label weighs what the
	// source's flows say), the era's where one of its labels differs.
	w.ntSrc, w.prSrc = -1, -1
	for id, all := range t.Rates {
		isNT, isPr := strings.HasPrefix(id, prefixNotTLS), strings.HasPrefix(id, prefixPreamble)
		if e < 0 || !isNT && !isPr {
			continue
		}
		r, ok := rates[id]
		if !ok { // a label the era never showed
			r.Applied = spoke
			if isPr {
				r.Applied = hello
			}
		}
		switch {
		case !eraDiffers(r, all):
		case isNT && spoke >= minEraFlows:
			w.ntSrc = e
		case isPr && hello >= minEraFlows:
			w.prSrc = e
		}
	}
	ntRates, ntFlows, _ := t.counts(w.ntSrc)
	prRates, _, prFlows := t.counts(w.prSrc)
	for id, r := range ntRates {
		if l, ok := strings.CutPrefix(id, prefixNotTLS); ok {
			w.notTLS[l] = r.Bits()
		}
	}
	for id, r := range prRates {
		if k, ok := strings.CutPrefix(id, prefixPreamble); ok {
			w.preamble[k] = r.Bits()
		}
	}
	w.unseenNT = Rate{Applied: ntFlows}.Bits()
	w.unseenPr = Rate{Applied: prFlows}.Bits()
	return w
}

// weightsAt are the weights a flow is judged with: its era's.
func (t *Table) weightsAt(x *Input) *weights {
	if e := eraOf(t.Eras, x); e >= 0 {
		return &t.eraW[e]
	}
	return &t.all
}

// checkKey is the tail of fixed check i's finding under w.
func (t *Table) checkKey(w *weights, i int) tailKey {
	rates, _, _ := t.counts(w.src[i])
	return tailKey{checks[i].id, rates[checks[i].id].Applied, w.src[i]}
}

// of is check i's bits on flow x, and whether it decides there: a breach
// decides only in a flow whose capture missed none of the bytes it was
// read from (breachLost). Packets a span port dropped, a capture that
// began mid-connection, leave records that stop being records and hellos
// cut short in benign flows; there the breach weighs its rate.
func (w *weights) of(i int, x *Input) (float64, bool) {
	if !w.decides[i] {
		return w.bits[i], false
	}
	if breachLost(i, x) {
		return w.rate[i], false
	}
	return w.bits[i], true
}

// breachLost reports whether flow x's capture missed the bytes violation
// check i was read from, or they were never TLS's to break (check.lost,
// else lossy).
func breachLost(i int, x *Input) bool {
	if lost := checks[i].lost; lost != nil {
		return lost(x)
	}
	return lossy(x.Flow)
}

// lossy reports a flow whose capture missed bytes: inside the prefix or
// either side's handshake, or the connection's start.
func lossy(f *flow.Flow) bool {
	return f.PrefixGap || f.ClientHandshakeGap || f.ServerHandshakeGap || f.Midstream
}
