package detector

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/tlsentry/tlsentry/detector/eval"
	"github.com/tlsentry/tlsentry/detector/evidence"
	"github.com/tlsentry/tlsentry/detector/features"
	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/detector/transcript"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// setThresholdOnCorpus sets a hybrid model's threshold at the (1 - alert
// rate) quantile of the benign corpus's scores, each corpus flow scored
// as a flow from a network the model never saw: its novelty against a
// profile fitted without the training flows of its own capture. Leaving
// out one flow (setThreshold) is not enough for that: the other flows of
// its capture, the same client and servers, would still be known.
func setThresholdOnCorpus(f *model.File, train []*flow.Flow, cfg TrainConfig) error {
	scores, err := corpusScores(f, train, cfg)
	if err != nil {
		return err
	}
	slices.Sort(scores)
	f.Meta.Threshold = alertThreshold(scores, cfg.AlertRate)
	f.Meta.Training.ScoreQuantiles = map[string]float64{}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		f.Meta.Training.ScoreQuantiles[strconv.FormatFloat(q, 'f', -1, 64)] = eval.Quantile(scores, q)
	}
	f.Meta.Training.Notes = joinNotes(f.Meta.Training.Notes, fmt.Sprintf("threshold flags %g of %d corpus flows, each scored without its capture", cfg.AlertRate, len(scores)))
	return nil
}

func joinNotes(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// corpusScores scores the corpus flows with payload, each with the
// novelty profile of the training flows not from its capture (capture
// names each flow's capture file; a flow it does not name is a capture of
// its own). The encoder, forest and evidence are the model's.
func corpusScores(f *model.File, train []*flow.Flow, cfg TrainConfig) ([]float64, error) {
	corpus, capture := cfg.Corpus, cfg.Capture
	m, err := fileToModel(f)
	if err != nil {
		return nil, err
	}
	sc, err := m.NewScorer()
	if err != nil {
		return nil, err
	}
	s, ok := sc.(*hybridScorer)
	if !ok {
		return nil, fmt.Errorf("threshold on a corpus: %s models have no novelty profile", m.Kind())
	}
	certs := tlsparse.NewCertCache(1024)
	vals := make([]*features.Values, len(train))
	isTrain := make(map[*flow.Flow]bool, len(train))
	for i, fl := range train {
		vals[i] = new(features.Values)
		features.Extract(fl, tlsparse.FromFlow(fl, certs), vals[i])
		isTrain[fl] = true
	}
	// The corpus by capture, in first-seen order (the same scores every run).
	var order []string
	byCapture := map[string][]*flow.Flow{}
	for _, fl := range corpus {
		if len(fl.Prefix) == 0 {
			continue
		}
		c, named := capture[fl]
		if !named {
			c = fmt.Sprintf("\x00flow %p", fl) // a capture of its own
		}
		if _, seen := byCapture[c]; !seen {
			order = append(order, c)
		}
		byCapture[c] = append(byCapture[c], fl)
	}
	if len(order) == 0 {
		return nil, fmt.Errorf("threshold on a corpus: the corpus has no flow with payload")
	}
	full, fullEv := s.prof, s.ev
	defer func() { s.prof, s.ev = full, fullEv }()
	var scores []float64
	for _, c := range order {
		flows := byCapture[c]
		var others []*features.Values
		var otherFlows []*flow.Flow
		for i, fl := range train {
			if capture[fl] != c && !slices.Contains(flows, fl) {
				others = append(others, vals[i])
				otherFlows = append(otherFlows, fl)
			}
		}
		s.prof = full
		if len(others) < len(train) {
			if len(others) == 0 {
				return nil, fmt.Errorf("threshold on a corpus: capture %s holds every training flow", c)
			}
			if s.prof, err = fitProfile(others, otherFlows, cfg); err != nil {
				return nil, err
			}
		}
		// The evidence too is counted without the capture: a check only
		// its flows fire weighs what it would on a network never seen,
		// and a TLD only its flows used is one the table does not know.
		s.ev = fullEv.WithoutCapture(evidenceInputs(flows, certs))
		s.ev.SetDecisive(0) // the threshold being set does not count toward itself
		out := make([]float64, len(flows))
		s.score(Inputs(flows), out, false)
		scores = append(scores, out...)
	}
	return scores, nil
}

// evidenceInputs are the flows as the evidence checks read them.
func evidenceInputs(flows []*flow.Flow, certs *tlsparse.CertCache) []*evidence.Input {
	out := make([]*evidence.Input, len(flows))
	for i, fl := range flows {
		out[i] = &evidence.Input{Flow: fl, TLS: tlsparse.FromFlow(fl, certs), T: new(transcript.Transcript)}
		transcript.Of(fl, out[i].T)
	}
	return out
}
