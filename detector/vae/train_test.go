package vae

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestTrainLossDecreases(t *testing.T) {
	w, rep := trainedModel(t)
	if err := w.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(rep.Epochs) != 4 || rep.Steps != 4*6 {
		t.Fatalf("%d epochs, %d steps; want 4 and 24", len(rep.Epochs), rep.Steps)
	}
	first, last := rep.Epochs[0], rep.Epochs[len(rep.Epochs)-1]
	for _, e := range rep.Epochs {
		t.Logf("epoch %d: train %.3f (rec %.3f kl %.3f) val %.3f best %v, %.0f flows/s",
			e.Epoch, e.TrainLoss, e.TrainRec, e.TrainKL, e.ValLoss, e.Best, e.FlowsPerSec)
		if d := e.TrainLoss - (e.TrainRec + e.TrainKL); math.Abs(d) > 1e-3*e.TrainLoss {
			t.Errorf("epoch %d: loss %v != rec %v + kl %v", e.Epoch, e.TrainLoss, e.TrainRec, e.TrainKL)
		}
	}
	if !(last.TrainLoss < 0.5*first.TrainLoss) {
		t.Errorf("training loss %.3f -> %.3f: want at least halved", first.TrainLoss, last.TrainLoss)
	}
	if !(last.ValLoss < first.ValLoss) {
		t.Errorf("validation loss %.3f -> %.3f: want lower", first.ValLoss, last.ValLoss)
	}
	best := rep.Epochs[rep.BestEpoch-1]
	if !best.Best || best.ValLoss != rep.BestValLoss {
		t.Errorf("best epoch %d (%v) does not match the report (%v)", rep.BestEpoch, best.ValLoss, rep.BestValLoss)
	}
	for _, e := range rep.Epochs {
		if e.ValLoss < rep.BestValLoss {
			t.Errorf("epoch %d has a lower validation loss %v than the best %v", e.Epoch, e.ValLoss, rep.BestValLoss)
		}
	}
	if !(rep.FlowsPerSec > 0) || rep.Duration <= 0 {
		t.Errorf("flows/s %v, duration %v", rep.FlowsPerSec, rep.Duration)
	}
	// The returned weights are the best epoch's: their validation loss is
	// the one reported.
	got, err := validationLoss(w, normalImages(2, 48))
	if err != nil {
		t.Fatal(err)
	}
	if got != rep.BestValLoss {
		t.Errorf("validation loss of the returned weights %v, report says %v", got, rep.BestValLoss)
	}
}

func TestTrainDeterministic(t *testing.T) {
	imgs := normalImages(3, 40)
	cfg := TrainConfig{Epochs: 2, Batch: 16, Seed: 9}
	run := func(cfg TrainConfig) *Weights {
		t.Helper()
		w, _, err := Train(context.Background(), imgs, nil, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	a, b := run(cfg), run(cfg)
	if !weightsEqual(a, b) {
		t.Error("the same seed gave different weights")
	}
	if weightsEqual(a, NewWeights(cfg.Seed)) {
		t.Error("training did not change the weights")
	}
	cfg.Seed++
	if weightsEqual(a, run(cfg)) {
		t.Error("different seeds gave the same weights")
	}
}

func TestTrainCancel(t *testing.T) {
	imgs := normalImages(4, 32)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w, rep, err := Train(ctx, imgs, nil, TrainConfig{Epochs: 2, Batch: 16})
	if !errors.Is(err, context.Canceled) || w != nil || rep == nil || rep.Steps != 0 {
		t.Fatalf("cancelled before start: weights %v, report %+v, err %v", w != nil, rep, err)
	}

	// Cancelled after the first epoch: training stops at the next step and
	// returns the first epoch's weights.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	w, rep, err = Train(ctx, imgs, nil, TrainConfig{Epochs: 50, Batch: 16, Progress: func(EpochStats) { cancel() }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if w == nil || w.Validate() != nil || len(rep.Epochs) != 1 || rep.BestEpoch != 1 || rep.Steps != 2 {
		t.Fatalf("weights %v, %d epochs, best %d, %d steps; want the first epoch's weights after 2 steps",
			w != nil, len(rep.Epochs), rep.BestEpoch, rep.Steps)
	}
}

func TestTrainConfigErrors(t *testing.T) {
	good := normalImages(5, 2)
	short := [][]float32{make([]float32, 100)}
	cases := []struct {
		name       string
		train, val [][]float32
		cfg        TrainConfig
		want       string
	}{
		{"no images", nil, nil, TrainConfig{}, "no training images"},
		{"short training image", short, nil, TrainConfig{}, "training image 0 has 100 values"},
		{"short validation image", good, short, TrainConfig{}, "validation image 0 has 100 values"},
		{"negative epochs", good, nil, TrainConfig{Epochs: -1}, "epochs -1"},
		{"negative batch", good, nil, TrainConfig{Batch: -2}, "batch -2"},
		{"nan learn rate", good, nil, TrainConfig{LearnRate: math.NaN()}, "learn rate NaN"},
		{"negative patience", good, nil, TrainConfig{Patience: -1}, "patience -1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Train(context.Background(), c.train, c.val, c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestTrainPatience(t *testing.T) {
	// A learning rate this small leaves the float32 weights (almost)
	// unchanged, so the validation loss stops improving at once.
	imgs := normalImages(16, 32)
	var seen []EpochStats
	w, rep, err := Train(context.Background(), imgs, imgs[:8], TrainConfig{
		Epochs: 20, Batch: 16, LearnRate: 1e-12, Patience: 2,
		Progress: func(e EpochStats) { seen = append(seen, e) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.StoppedEarly || len(rep.Epochs) >= 20 || len(rep.Epochs) != rep.BestEpoch+2 {
		t.Fatalf("stopped early %v after %d epochs, best %d; want a stop 2 epochs after the best",
			rep.StoppedEarly, len(rep.Epochs), rep.BestEpoch)
	}
	if len(seen) != len(rep.Epochs) {
		t.Errorf("Progress called %d times for %d epochs", len(seen), len(rep.Epochs))
	}
	for _, e := range rep.Epochs[rep.BestEpoch:] {
		if e.Best {
			t.Errorf("epoch %d after the best is marked best", e.Epoch)
		}
	}
	if got, err := validationLoss(w, imgs[:8]); err != nil || got != rep.BestValLoss {
		t.Errorf("returned weights have validation loss %v (%v), want the best %v", got, err, rep.BestValLoss)
	}
}
