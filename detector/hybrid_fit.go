package detector

import (
	"fmt"
	"time"

	"github.com/tlsentry/tlsentry/detector/evidence"
	"github.com/tlsentry/tlsentry/detector/features"
	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/detector/novelty"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// fitHybridParts fits what a hybrid model learns beside its encoder: the
// novelty profile and the forest on the training flows (codes given), the
// forest's tail, and the evidence table on the calibration corpus.
func fitHybridParts(f *model.File, flows []*flow.Flow, codes [][]float32, cfg TrainConfig) error {
	certs := tlsparse.NewCertCache(1024)
	vals := make([]*features.Values, len(flows))
	rows := make([][]float32, len(flows))
	for i, fl := range flows {
		vals[i] = new(features.Values)
		features.Extract(fl, tlsparse.FromFlow(fl, certs), vals[i])
		rows[i] = append(codes[i], vals[i].Vec[:]...)
	}
	prof, err := fitProfile(vals, flows, cfg)
	if err != nil {
		return err
	}
	if err := addSection(f, noveltySection, prof); err != nil {
		return err
	}
	ev, err := calibrate(flows, cfg, certs)
	if err != nil {
		return err
	}
	if err := addSection(f, evidenceSection, ev); err != nil {
		return err
	}
	f.Meta.Params[paramFeatures] = features.Schema
	f.Meta.Params[paramScoring] = scoringBits
	if cfg.NoveltyByCapture {
		f.Meta.Params[paramScoring] = scoringCorpus // see the constants
	}
	forest, err := addForest(f, rows, cfg)
	if err != nil {
		return err
	}
	scores := make([]float64, len(rows))
	forest.ScoreBatch(rows, scores)
	return addSection(f, tailSection, fitTail(scores))
}

// fitProfile fits the novelty profile of the training flows (vals[i] of
// flows[i]), by capture when cfg says so. Many networks' captures, years
// apart (make model's public corpus), also measure their drift: what
// their later captures showed new against the earlier ones caps what
// novelty weighs on a network newer than all of them (novelty.Drift).
func fitProfile(vals []*features.Values, flows []*flow.Flow, cfg TrainConfig) (*novelty.Profile, error) {
	if !cfg.NoveltyByCapture {
		return novelty.Fit(vals)
	}
	capture := captures(flows, cfg.Capture)
	prof, err := novelty.FitGrouped(vals, capture)
	if err != nil {
		return nil, err
	}
	start := make([]time.Time, len(flows))
	for i, fl := range flows {
		start[i] = fl.Start
	}
	drift, err := novelty.FitDrift(vals, capture, start)
	if err != nil {
		return nil, err
	}
	prof.SetDrift(drift)
	prof.Baseline = novelty.BaselineCorpus
	return prof, nil
}

// captures names each flow's capture; a flow the map does not name is a
// capture of its own.
func captures(flows []*flow.Flow, capture map[*flow.Flow]string) []string {
	out := make([]string, len(flows))
	for i, f := range flows {
		c, ok := capture[f]
		if !ok {
			c = fmt.Sprintf("\x00flow %p", f)
		}
		out[i] = c
	}
	return out
}

type binaryMarshaler interface{ MarshalBinary() ([]byte, error) }

func addSection(f *model.File, name string, v binaryMarshaler) error {
	data, err := v.MarshalBinary()
	if err != nil {
		return fmt.Errorf("model section %s: %w", name, err)
	}
	f.Sections = append(f.Sections, model.Section{Name: name, Data: data})
	return nil
}

// calibrate counts the evidence checks over the calibration corpus
// (cfg.Corpus, else the training flows) and learns server names from its
// names and cfg.Words; a site's table (not many networks' captures) also
// knows the private CAs its training chains led to, the servers whose
// TLS 1.3 certificates were too small for a public chain, the
// self-made certificates its servers showed and the generic TLDs of its
// server names (its own).
func calibrate(train []*flow.Flow, cfg TrainConfig, certs *tlsparse.CertCache) (*evidence.Table, error) {
	t, err := calibrateChecks(train, cfg, certs)
	if err != nil || cfg.NoveltyByCapture {
		return t, err // many networks' captures: their own CAs are not a site's
	}
	in := evidenceInputs(train, certs)
	if cfg.Evidence != nil || len(cfg.Corpus) > 0 {
		// The rates were counted on other flows (the embedded default's
		// public corpus): the site's own join them.
		t = t.With(withPayload(in), "this network's training")
	}
	return learnSite(t, in), nil
}

// withPayload are the inputs whose flows carry payload, as a calibration
// corpus counts them.
func withPayload(in []*evidence.Input) []*evidence.Input {
	var out []*evidence.Input
	for _, x := range in {
		if len(x.Flow.Prefix) > 0 {
			out = append(out, x)
		}
	}
	return out
}

// learnSite is t knowing what the site's flows show of its own servers:
// the private CAs their chains led to, the servers whose TLS 1.3
// certificates were too small for a public chain, the self-signed or
// self-issued certificates they showed, the breaches of TLS the site's
// own stacks commit (which then do not decide there) and the generic
// TLDs its server names use. Each flow's handshake and records are read
// once for them all.
func learnSite(t *evidence.Table, in []*evidence.Input) *evidence.Table {
	return t.LearnIssuers(in).LearnFlights(in).LearnSelfMade(in).LearnBreaches(in).LearnTLDs(in)
}

// calibrateChecks counts the checks' rates (or takes cfg.Evidence).
func calibrateChecks(train []*flow.Flow, cfg TrainConfig, certs *tlsparse.CertCache) (*evidence.Table, error) {
	if cfg.Evidence != nil {
		return cfg.Evidence, nil
	}
	corpus, name := cfg.Corpus, cfg.CorpusName
	if len(corpus) == 0 {
		corpus, name = train, "the training flows"
	}
	ins := withPayload(evidenceInputs(corpus, certs))
	for _, in := range ins {
		in.Capture = cfg.Capture[in.Flow]
	}
	var names []string
	for _, in := range ins {
		if in.TLS.Client != nil && in.TLS.Client.ServerName != "" {
			names = append(names, in.TLS.Client.ServerName)
		}
	}
	if len(ins) == 0 {
		return nil, fmt.Errorf("evidence: the calibration corpus has no flow with payload")
	}
	nm, err := evidence.FitNames(names, cfg.Words)
	if err != nil {
		nm = nil // too few names to learn from: the check stays silent
	}
	return evidence.Calibrate(name, ins, nm, eraSplits...), nil
}

// eraSplits cut the calibration corpus by capture date, each part with
// rates of its own (evidence.Era): browsers and operating systems dropped
// TLS 1.0 and 1.1 in 2020, the year public certificates were capped at
// 398 days, and what clients offered before is rare since.
var eraSplits = []time.Time{time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
