package beacon

import (
	"fmt"
	"math"
	"net/netip"
)

// Baseline is how often benign client-destination pairs pass for beacons:
// Periodic of Pairs pairs got a finding at the tracker's defaults. SitePairs
// of the Pairs are the network's own (a model trained or updated on it);
// the rest are the public benign captures'. A flow of a beacon weighs
// Bits, as the evidence checks weigh their corpus rates.
type Baseline struct {
	Periodic  int `json:"periodic"`
	Pairs     int `json:"pairs"`
	SitePairs int `json:"site_pairs"`
}

// PublicBaseline is the measurement on the public benign captures
// (BenignFindings of BenignPairs): what a model that never measured its
// network weighs a rhythm by.
func PublicBaseline() Baseline { return Baseline{Periodic: BenignFindings, Pairs: BenignPairs} }

// Bits is -log2 of the smoothed rate, (periodic + 1/2) / (pairs + 1),
// so that no periodic pair of n weighs log2(2n+2) bits.
func (b Baseline) Bits() float64 {
	return -math.Log2((float64(b.Periodic) + 0.5) / float64(b.Pairs+1))
}

// Of names the pairs in words, for a reason: "the public benign
// captures", "this network's training flows (site baseline)", or both.
func (b Baseline) Of() string {
	switch {
	case b.SitePairs == 0:
		return "the public benign captures"
	case b.SitePairs == b.Pairs:
		return "this network's training flows (site baseline)"
	}
	return fmt.Sprintf("the public benign captures and %d of this network's (site baseline)", b.SitePairs)
}

// maxBaselinePairs bounds the counts a model file may carry: far beyond
// any training set, small enough that sums cannot overflow.
const maxBaselinePairs = 1 << 40

// Validate checks that the counts make a rate: 0 <= periodic <= pairs,
// 0 <= site pairs <= pairs, at least one pair.
func (b Baseline) Validate() error {
	if b.Pairs < 1 || b.Pairs > maxBaselinePairs || b.Periodic < 0 || b.Periodic > b.Pairs || b.SitePairs < 0 || b.SitePairs > b.Pairs {
		return fmt.Errorf("beacon: baseline of %d periodic pairs of %d (%d the site's) is not a rate", b.Periodic, b.Pairs, b.SitePairs)
	}
	return nil
}

// Add is b with the counts of a later measurement on the site added.
func (b Baseline) Add(periodic, pairs int) Baseline {
	return Baseline{Periodic: b.Periodic + periodic, Pairs: b.Pairs + pairs, SitePairs: b.SitePairs + pairs}
}

// Rhythmic is a scorer whose model says how often its network's benign
// client-destination pairs pass for beacons: a flow of a beacon (a fact
// of the pipeline's) weighs that rate's bits, the network's own where the
// model measured it, else the public captures'. A pair the model's
// training found periodic (KnownPeriodic) is known, as novelty knows the
// values seen in training: its flows take no such fact. It is declared
// here, beside the Baseline it returns, so that detector/scoring stays a
// leaf that knows flows and handshakes only.
type Rhythmic interface {
	RhythmBaseline() Baseline
	KnownPeriodic(client netip.Addr, server netip.AddrPort) bool
}
