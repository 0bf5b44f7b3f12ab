package detector

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/detector/eval"
	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// TestThresholdOnCorpus: the threshold is the alert-rate quantile of the
// corpus flows' scores, each scored without its capture; a stack only one
// capture shows is new to a model without that capture, though leaving
// out its flows one at a time keeps it known.
func TestThresholdOnCorpus(t *testing.T) {
	base, _ := trainHybridLab(t)
	benign, legacy := lab(t, labset.Benign, 32, 5), lab(t, labset.LegacyTLS10, 12, 6)
	capture := map[*flow.Flow]string{}
	for _, f := range benign {
		capture[f] = "benign.pcap"
	}
	for _, f := range legacy {
		capture[f] = "legacy.pcap"
	}
	train := append(slices.Clone(benign), legacy...)
	cfg := TrainConfig{Kind: model.KindHybrid, Trees: 20, Seed: 2, AlertRate: 0.1,
		Corpus: train, CorpusName: "lab", Capture: capture, ThresholdOnCorpus: true}
	f, err := TrainWithEncoder(context.Background(), base, train, cfg)
	if err != nil {
		t.Fatal(err)
	}
	scores, err := corpusScores(f, train, cfg)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(scores)
	if got, want := f.Meta.Threshold, eval.Quantile(scores, 0.9); got != want || len(scores) != len(train) {
		t.Errorf("threshold %v, want %v over %d scores", got, want, len(scores))
	}
	if !strings.Contains(f.Meta.Training.Notes, "scored without its capture") {
		t.Errorf("notes %q", f.Meta.Training.Notes)
	}

	m, err := fileToModel(f)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := m.NewScorer()
	oneOut := make([]float64, len(legacy))
	s.(*hybridScorer).score(Inputs(legacy), oneOut, true)
	legacyCfg := cfg
	legacyCfg.Corpus = legacy
	captureOut, err := corpusScores(f, train, legacyCfg)
	if err != nil {
		t.Fatal(err)
	}
	more := 0
	for i := range legacy {
		if captureOut[i] < oneOut[i]-1e-9 {
			t.Errorf("flow %d: %v without its capture, %v without itself", i, captureOut[i], oneOut[i])
		}
		if captureOut[i] > oneOut[i]+1 {
			more++
		}
	}
	if more != len(legacy) {
		t.Errorf("%d of %d flows of a stack only their capture shows score more without it", more, len(legacy))
	}
	emptyCfg := cfg
	emptyCfg.Corpus = nil
	if _, err := corpusScores(f, train, emptyCfg); err == nil {
		t.Error("an empty corpus gave scores")
	}
}
