package beacon

import (
	"math"
	"slices"
)

// Parts are the score's named parts, each from 0 (no sign of a beacon) to
// 1 (the clearest sign). The score is
//
//	Prevalence × Interval × (0.7 + 0.1 Size + 0.2 Count)
//
// with Interval = Beat × (0.8 + 0.1 Dispersion + 0.1 Skew): the rhythm
// decides, sizes and count add weight, and a destination many clients
// call is let off. (Weights and cut-offs were tuned on one seed of the
// generated traffic in the tests, and checked on others.)
type Parts struct {
	// Beat is the share of intervals one period long within a tolerance
	// (±10, 20, 30 or 50% of the period, whichever says most), beyond the
	// share a random (Poisson) process with the same median interval would
	// put there, as Cohen's kappa corrects agreement for chance; each
	// extra connection off the beat (an interval under half a period)
	// counts against. Missed beats (intervals of two to four periods) are
	// neither for nor against.
	Beat float64
	// Dispersion is 1 - MAD/(period/2), MAD the median absolute deviation
	// of the one-period intervals about their median (RITA's measure).
	Dispersion float64
	// Skew is 1 - |Bowley skewness| of the one-period intervals.
	Skew float64
	// Interval combines the three: interval regularity.
	Interval float64
	// Size is the regularity of the sizes, the more regular direction's:
	// 1 - MAD/(median/2).
	Size float64
	// Count grows with the connections the statistics rest on, full at
	// Config.FullConns.
	Count float64
	// Prevalence is 1 when only this client talks to the destination and
	// falls to 0 at Config.PopularClients clients.
	Prevalence float64
}

// Cut-offs: a spread of half the period, or of half the median size,
// scores 0.
const (
	dispersionCut = 0.5
	sizeCut       = 0.5
)

// beatTolerances are the tolerances Beat tries, and beatChance the share of
// a Poisson process's intervals that fall within each of the median: the
// process's intervals are exponential, and with median m,
// P(|x - m| ≤ τm) = 2^-(1-τ) - 2^-(1+τ).
var (
	beatTolerances = [...]float64{0.1, 0.2, 0.3, 0.5}
	beatChance     [len(beatTolerances)]float64
)

func init() {
	for i, tau := range beatTolerances {
		beatChance[i] = math.Exp2(-(1 - tau)) - math.Exp2(-(1 + tau))
	}
}

// scored is one scoring of a pair. A score below the back-off level may
// be an upper bound, left unrefined: it is too low to matter.
type scored struct {
	rh       rhythm
	onBeat   int     // intervals within the tolerance Beat chose
	tol      float64 // that tolerance
	chance   float64 // the share of intervals chance would put there
	mad, iqr float64 // of the one-period intervals
	up, down spread
	clients  float64 // distinct clients of the destination
	parts    Parts
	score    float64
}

// score scores pair slot s, whose destination is slot ds, in window epoch.
func (t *Tracker) score(s, ds int32, epoch int64) scored {
	pt := &t.pairs
	p := pt.at(s)
	ring := pt.ringOf(s)
	sc := &t.scratch
	n := int(p.n)
	r := int32(len(ring))
	xs := sc.xs[:0]
	prev := ring[p.head].t
	for i := int32(1); i < p.n; i++ {
		t := ring[wrap(p.head+i, r)].t
		xs = append(xs, float64(t-prev))
		prev = t
	}
	var out scored
	out.rh = measureRhythm(xs, sc.folded)
	period := out.rh.period
	if period < float64(t.cfg.MinPeriod) || out.rh.single < 3 {
		return out
	}
	pa := &out.parts

	// Beat: the tolerance that shows the most beyond chance.
	var within [len(beatTolerances)]int
	singles := sc.singles[:0]
	for _, x := range xs {
		d := math.Abs(x/period - 1)
		for i, tau := range beatTolerances {
			if d <= tau {
				within[i]++
			}
		}
		if f := x / period; f >= 0.5 && f < 1.5 {
			singles = append(singles, x)
		}
	}
	pa.Beat = math.Inf(-1)
	for i := range beatTolerances {
		share := float64(within[i]-out.rh.short) / float64(out.rh.intervals)
		if k := (share - beatChance[i]) / (1 - beatChance[i]); k > pa.Beat {
			pa.Beat, out.onBeat, out.tol, out.chance = k, within[i], beatTolerances[i], beatChance[i]
		}
	}
	pa.Beat = clamp01(pa.Beat)
	pa.Count = clamp01(float64(n-1) / float64(t.cfg.FullConns-1))
	out.clients = t.dests.at(ds).clients.count(epoch)
	pa.Prevalence = 1 - clamp01((out.clients-1)/float64(t.cfg.PopularClients-1))

	// The parts that follow cost sorts; most pairs (not beacons) score too
	// low whatever they say, and stop here with an upper bound.
	out.score = pa.Prevalence * pa.Beat * (0.8 + 0.2*pa.Count)
	if out.score < backoffBelow*t.threshold {
		return out
	}

	// Dispersion and skew of the one-period intervals: the beacon's
	// jitter, unmixed with the folded ones.
	slices.Sort(singles)
	median := quantile(singles, 0.5)
	for i, x := range singles {
		sc.dev[i] = math.Abs(x - median)
	}
	out.mad = quantileSelect(sc.dev[:len(singles)], 0.5)
	q1, q3 := quantile(singles, 0.25), quantile(singles, 0.75)
	out.iqr = q3 - q1
	bowley := 0.0
	if out.iqr > 0 {
		bowley = (q3 + q1 - 2*median) / out.iqr
	}
	pa.Dispersion = clamp01(1 - out.mad/(dispersionCut*period))
	pa.Skew = clamp01(1 - math.Abs(bowley))
	pa.Interval = pa.Beat * (0.8 + 0.1*pa.Dispersion + 0.1*pa.Skew)

	// Sizes last, and only when they could matter: most pairs score too
	// low whatever their sizes (the score is then an upper bound).
	out.score = pa.Prevalence * pa.Interval * (0.8 + 0.2*pa.Count)
	if out.score < backoffBelow*t.threshold {
		return out
	}
	up, down := sc.up[:n], sc.down[:n]
	for i := range p.n {
		e := &ring[wrap(p.head+i, r)]
		up[i], down[i] = float64(e.up), float64(e.down)
	}
	out.up, out.down = measureSpread(up, sc.dev), measureSpread(down, sc.dev)
	pa.Size = max(sizeRegularity(out.up), sizeRegularity(out.down))
	out.score = pa.Prevalence * pa.Interval * (0.7 + 0.1*pa.Size + 0.2*pa.Count)
	return out
}

func sizeRegularity(s spread) float64 {
	if s.median <= 0 {
		return 0 // no bytes: nothing to say
	}
	return clamp01(1 - s.mad/(sizeCut*s.median))
}

func clamp01(x float64) float64 { return min(1, max(0, x)) }
