package detector

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/tlsentry/tlsentry/detector/beacon"
	"github.com/tlsentry/tlsentry/detector/cnn"
	"github.com/tlsentry/tlsentry/detector/eval"
	"github.com/tlsentry/tlsentry/detector/evidence"
	"github.com/tlsentry/tlsentry/detector/features"
	"github.com/tlsentry/tlsentry/detector/image"
	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/detector/novelty"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// TrainWithEncoder is Train for a hybrid model whose CNN encoder is taken
// from base instead of trained (the slow part): the novelty profile, the
// forest, its tail and the evidence table are fitted anew on flows. Used
// to rebuild a model on the same data with new features, and by update.
func TrainWithEncoder(ctx context.Context, base *model.File, flows []*flow.Flow, cfg TrainConfig) (*model.File, error) {
	cfg = cfg.WithDefaults()
	if cfg.Kind != model.KindHybrid {
		return nil, fmt.Errorf("train: only hybrid models reuse an encoder")
	}
	var kept []*flow.Flow
	for _, f := range flows {
		if len(f.Prefix) > 0 {
			kept = append(kept, f)
		}
	}
	if err := cfg.check(len(kept)); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	w, err := readCNN(base)
	if err != nil {
		return nil, fmt.Errorf("encoder of the base model: %w", err)
	}
	f := &model.File{Meta: model.Meta{
		Kind: model.KindHybrid, Layout: base.Meta.Layout, AlertRate: cfg.AlertRate,
		Training: base.Meta.Training, Params: map[string]string{},
	}}
	f.Meta.Training.Flows, f.Meta.Training.ValidationFlow = len(kept), 0
	f.Meta.Training.Sources, f.Meta.Training.Seed = cfg.Sources, cfg.Seed
	f.Meta.Training.Notes = "encoder reused from model " + base.ID
	addCNN(f, w)
	codes, err := encodeFlows(w, kept, masked(base))
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := fitHybridParts(f, kept, codes, cfg); err != nil {
		return nil, err
	}
	if err := addRhythm(f, flows, cfg); err != nil {
		return nil, err
	}
	return f, threshold(f, kept, cfg)
}

// encodeFlows returns the CNN codes of flows.
func encodeFlows(w *cnn.Weights, flows []*flow.Flow, masked bool) ([][]float32, error) {
	enc, err := cnn.NewEncoder(w, scoreBatch)
	if err != nil {
		return nil, err
	}
	im := imager{masked: masked}
	batch := make([]float32, scoreBatch*image.Pixels)
	out := make([]float32, scoreBatch*cnn.CodeSize)
	codes := make([][]float32, len(flows))
	for start := 0; start < len(flows); start += scoreBatch {
		n := min(scoreBatch, len(flows)-start)
		for i := range n {
			im.fill(batch[i*image.Pixels:(i+1)*image.Pixels], Input{Flow: flows[start+i]})
		}
		enc.Encode(batch, n, out)
		for i := range n {
			codes[start+i] = slices.Clone(out[i*cnn.CodeSize : (i+1)*cnn.CodeSize])
		}
	}
	return codes, nil
}

// setThreshold scores flows as training flows (leave-one-out novelty) and
// sets the threshold at the (1 - alertRate) quantile of those scores and
// of prior (scores kept from an earlier training, may be nil).
func setThreshold(f *model.File, flows []*flow.Flow, alertRate float64, prior []float64) error {
	m, err := fileToModel(f)
	if err != nil {
		return err
	}
	s, err := m.NewScorer()
	if err != nil {
		return err
	}
	scores := make([]float64, len(flows))
	if hs, ok := s.(*hybridScorer); ok {
		hs.score(Inputs(flows), scores, true)
	} else {
		s.Score(Inputs(flows), scores)
	}
	scores = append(scores, prior...)
	slices.Sort(scores)
	f.Meta.Threshold = alertThreshold(scores, alertRate)
	f.Meta.Training.ScoreQuantiles = map[string]float64{}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		f.Meta.Training.ScoreQuantiles[strconv.FormatFloat(q, 'f', -1, 64)] = eval.Quantile(scores, q)
	}
	return nil
}

// minUpdateFlows is how many new flows an update needs to set the
// threshold from them alone.
const minUpdateFlows = 1000

// UpdateReport says what an update changed.
type UpdateReport struct {
	Flows                 int // new flows with payload added
	OldThreshold          float64
	NewThreshold          float64
	KnownBefore, KnownNow int // flows the novelty profile counts
	// RhythmBefore and RhythmNow are the rhythm baseline (periodic pairs
	// of pairs) before and after: the same when no pair of the new flows
	// had the connections to be scored.
	RhythmBefore, RhythmNow beacon.Baseline
	// PeriodicKnownBefore and PeriodicKnownNow are the periodic pairs the
	// model knows from training (their flows take no rhythm fact): the
	// new flows' join them, at most MaxKnownPairs in all.
	PeriodicKnownBefore, PeriodicKnownNow int
	// IssuersKnownBefore and IssuersKnownNow are the private CAs the
	// evidence table knows as the network's own (at most
	// evidence.MaxKnownIssuers).
	IssuersKnownBefore, IssuersKnownNow int
	// FlightsKnownBefore and FlightsKnownNow are the servers whose TLS 1.3
	// certificates were too small for a public chain (evidence.Table.
	// KnownFlights) before and after the update.
	FlightsKnownBefore, FlightsKnownNow int
	// TLDsKnownBefore and TLDsKnownNow are the generic TLDs the evidence
	// table knows benign captures used (evidence.Table.KnownTLDs): the
	// public corpus's and the network's own.
	TLDsKnownBefore, TLDsKnownNow int
	// OddFlows is how many new flows the others did not vouch for: each
	// reached the model's threshold without its own count in the
	// evidence's rates, and stayed out of them, of what the table learned
	// of the site and of the threshold's sample.
	OddFlows int
	// StillAlerting are new flows the updated model still alerts on,
	// highest first.
	StillAlerting []Outlier
}

// Update adds benign flows to a hybrid model's baseline without
// retraining its networks: their values join the novelty profile (they
// are no longer new) and the threshold is set again at the (1 - alert
// rate) quantile of the new flows, each scored as new against the updated
// profile (kept as it was with fewer than minUpdateFlows).
// The beacon tracker's periodic pairs and all pairs of the new flows (all
// of them, with payload or not) are added to the rhythm baseline, when a
// pair had the connections to be scored. The new flows are counted into
// the evidence's rates, as training counts a site's flows, and what they
// show of the site's servers (private CAs, small TLS 1.3 certificates,
// self-made certificates, its stacks' breaches) joins what the table
// knows.
//
// A flow that only its own count in the evidence would hide is not
// counted there (oddFlows): one that the updated model scores under its
// threshold and that reaches it with the other new flows counted and not
// itself, such as a lone SSH client on port 443 among a week of TLS. Its
// values join the profile as the others' do; it stays out of the
// evidence's rates, of what the table learns of the site and of the
// threshold's sample, and the report counts it (UpdateReport.OddFlows)
// and names it among the flows that still alert. The encoder, the forest
// and its tail stay as they are.
func Update(f *model.File, flows []*flow.Flow) (*model.File, UpdateReport, error) {
	var rep UpdateReport
	if f.Meta.Kind != model.KindHybrid {
		return nil, rep, fmt.Errorf("update: %s models have no baseline to update (hybrid only)", f.Meta.Kind)
	}
	if _, err := fileToModel(f); err != nil {
		return nil, rep, err
	}
	var kept []*flow.Flow
	for _, fl := range flows {
		if len(fl.Prefix) > 0 {
			kept = append(kept, fl)
		}
	}
	if len(kept) == 0 {
		return nil, rep, fmt.Errorf("update: no flow with payload to add")
	}
	var prof novelty.Profile
	if err := unmarshalSection(f, noveltySection, &prof); err != nil {
		return nil, rep, err
	}
	rep.KnownBefore, rep.OldThreshold = prof.Flows, f.Meta.Threshold
	certs := tlsparse.NewCertCache(1024)
	vals := extractValues(kept, certs)
	g, err := withValues(f, &prof, vals)
	if err != nil {
		return nil, rep, err
	}
	in := evidenceInputs(kept, certs)
	odd, err := oddFlows(g, kept, in)
	if err != nil {
		return nil, rep, err
	}
	var vouched []*flow.Flow
	var vouchedIn []*evidence.Input
	for i, fl := range kept {
		if !odd[fl] {
			vouched, vouchedIn = append(vouched, fl), append(vouchedIn, in[i])
		}
	}
	rep.OddFlows = len(kept) - len(vouched)
	if err := learnEvidence(g, vouchedIn, &rep); err != nil {
		return nil, rep, err
	}
	rep.RhythmBefore, err = FileRhythm(f)
	if err != nil {
		return nil, rep, err
	}
	known, err := fileKnown(f)
	if err != nil {
		return nil, rep, err
	}
	rep.RhythmNow, rep.PeriodicKnownBefore, rep.PeriodicKnownNow = rep.RhythmBefore, len(known), len(known)
	m, err := measureRhythm(flows, nil)
	if err != nil {
		return nil, rep, err
	}
	if m.Scored {
		rep.RhythmNow = rep.RhythmBefore.Add(m.Periodic, m.Pairs)
		known.merge(m.Known)
		r := rhythmRecord{Baseline: rep.RhythmNow, Known: known.list()}
		rep.PeriodicKnownNow = len(r.Known)
		if err := setRhythm(g, r); err != nil {
			return nil, rep, err
		}
	}
	g.Meta.Training.Flows += len(kept)
	g.Meta.Training.Notes = fmt.Sprintf("%s; baseline updated with %d flows", g.Meta.Training.Notes, len(kept))
	if len(vouched) > 0 {
		if err := setThreshold(g, vouched, g.Meta.AlertRate, nil); err != nil {
			return nil, rep, err
		}
	}
	if len(vouched) < minUpdateFlows {
		// Too few new flows to place a 99.9% quantile on their own: the
		// threshold stays. Raised to their highest score, it would let one
		// odd benign flow (a gateway offering NULL suites) silence every
		// alert under it; such a flow is for the allowlist, and the report
		// names it.
		g.Meta.Threshold = f.Meta.Threshold
	}
	rep.Flows, rep.NewThreshold, rep.KnownNow = len(kept), g.Meta.Threshold, prof.Flows
	rep.StillAlerting, err = stillAlerting(g, kept)
	if err != nil {
		return nil, rep, err
	}
	return g, rep, nil
}

// Outlier is a flow an update added that the updated model still scores
// at or above its threshold: evidence the other new flows did not vouch
// for (a lone NULL suite, a malformed hello, SSH on port 443), which an
// allowlist entry silences if it is the network's own.
type Outlier struct {
	Flow  *flow.Flow
	Score float64
}

// stillAlerting scores flows with the updated model g as the daemon
// would and returns those at or above its threshold, highest first.
func stillAlerting(g *model.File, flows []*flow.Flow) ([]Outlier, error) {
	m, err := fileToModel(g)
	if err != nil {
		return nil, err
	}
	s, err := m.NewScorer()
	if err != nil {
		return nil, err
	}
	scores := make([]float64, len(flows))
	s.Score(Inputs(flows), scores)
	var out []Outlier
	for i, b := range scores {
		if b >= g.Meta.Threshold {
			out = append(out, Outlier{Flow: flows[i], Score: b})
		}
	}
	slices.SortStableFunc(out, func(a, b Outlier) int { return cmp.Compare(b.Score, a.Score) })
	return out, nil
}

// extractValues are the features of flows.
func extractValues(flows []*flow.Flow, certs *tlsparse.CertCache) []*features.Values {
	vals := make([]*features.Values, len(flows))
	for i, fl := range flows {
		vals[i] = new(features.Values)
		features.Extract(fl, tlsparse.FromFlow(fl, certs), vals[i])
	}
	return vals
}

// withValues is a copy of f whose novelty profile, prof, also knows vals.
func withValues(f *model.File, prof *novelty.Profile, vals []*features.Values) (*model.File, error) {
	prof.Add(vals)
	g := &model.File{Meta: f.Meta, Sections: slices.Clone(f.Sections)}
	g.Meta.Params = map[string]string{}
	for k, v := range f.Meta.Params {
		g.Meta.Params[k] = v
	}
	return g, setSection(g, noveltySection, prof)
}

// learnEvidence counts flows into g's evidence rates, as training counts
// a site's flows (evidence.Table.With), and adds what they show of the
// site's servers (learnSite: the private CAs their chains led to, the
// servers whose TLS 1.3 certificates were too small for a public chain,
// their self-made certificates, its stacks' breaches, the generic TLDs of
// its server names). An update's flows
// all carry payload.
func learnEvidence(g *model.File, in []*evidence.Input, rep *UpdateReport) error {
	var ev evidence.Table
	if err := unmarshalSection(g, evidenceSection, &ev); err != nil {
		return err
	}
	learned := learnSite(ev.With(in, updateFlows), in)
	rep.IssuersKnownBefore, rep.IssuersKnownNow = len(ev.KnownIssuers), len(learned.KnownIssuers)
	rep.FlightsKnownBefore, rep.FlightsKnownNow = len(ev.KnownFlights), len(learned.KnownFlights)
	rep.TLDsKnownBefore, rep.TLDsKnownNow = len(ev.KnownTLDs), len(learned.KnownTLDs)
	return setSection(g, evidenceSection, learned)
}

// updateFlows names an update's flows in the evidence's reasons.
const updateFlows = "this network's baseline updates"

// setSection writes v as g's section name.
func setSection(g *model.File, name string, v interface{ MarshalBinary() ([]byte, error) }) error {
	data, err := v.MarshalBinary()
	if err != nil {
		return err
	}
	for i := range g.Sections {
		if g.Sections[i].Name == name {
			g.Sections[i].Data = data
		}
	}
	return nil
}

// oddFlows are the new flows whose own count in the evidence's rates
// alone would hide them: g (f with the new flows in its profile) scores
// each under its threshold with every new flow counted into the
// evidence, and at or above it with the others counted and not itself
// (evidence.Table.ScoresWithout), which adds at least minOwnCount. A
// fact that many new flows show is this network's; one that a single
// flow shows is not vouched for by the others. Novelty is not judged so:
// learning values no other flow showed (a new client library on one
// host) is what an update is for. A flow that alerts either way is not
// odd: its own count hides nothing, and the report names it.
func oddFlows(g *model.File, flows []*flow.Flow, in []*evidence.Input) (map[*flow.Flow]bool, error) {
	counted, alone, err := updateScores(g, flows, in)
	if err != nil {
		return nil, err
	}
	odd := map[*flow.Flow]bool{}
	for i, fl := range flows {
		if alone[i]-counted[i] >= minOwnCount && alone[i] >= g.Meta.Threshold && counted[i] < g.Meta.Threshold {
			odd[fl] = true
		}
	}
	return odd, nil
}

// minOwnCount is the least a flow's own count must take off its score
// for it to be odd: a fact that neither the table nor the other new flows
// showed loses log2(3) = 1.58 bits to its one count, a fact that one of
// 12 new flows shows with the other 11 about 0.1. Without the bound, any
// flow a hair under the threshold was odd.
const minOwnCount = 1.0

// updateScores scores an update's flows (in: their evidence inputs) with
// g and all of them counted into its evidence and learned of as the
// site's (learnSite): counted, as an update of them all would; alone,
// each with its own count taken out of the rates again. What the update
// teaches of the site's servers and stacks stays in both, as an update
// has always learned it from any one flow.
func updateScores(g *model.File, flows []*flow.Flow, in []*evidence.Input) (counted, alone []float64, err error) {
	var ev evidence.Table
	if err := unmarshalSection(g, evidenceSection, &ev); err != nil {
		return nil, nil, err
	}
	learned := &model.File{Meta: g.Meta, Sections: slices.Clone(g.Sections)}
	if err := setSection(learned, evidenceSection, learnSite(ev.With(in, updateFlows), in)); err != nil {
		return nil, nil, err
	}
	m, err := fileToModel(learned)
	if err != nil {
		return nil, nil, err
	}
	s, err := m.NewScorer()
	if err != nil {
		return nil, nil, err
	}
	hs, ok := s.(*hybridScorer)
	if !ok {
		return nil, nil, fmt.Errorf("update: %s models have no baseline to update (hybrid only)", m.Kind())
	}
	counted, alone = make([]float64, len(flows)), make([]float64, len(flows))
	hs.Score(Inputs(flows), counted)
	// The loaded table: its decisive weight is the model's threshold.
	for i, b := range hs.ev.ScoresWithout(in) {
		c, _ := hs.ev.ScoreFired(in[i])
		alone[i] = counted[i] - c + b
	}
	return counted, alone, nil
}
