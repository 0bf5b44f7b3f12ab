package cnn

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
)

func TestTrainDeterministic(t *testing.T) {
	train, val := synthImages(11, 64), synthImages(12, 8)
	cfg := TrainConfig{Epochs: 2, Batch: 16, Seed: 5}
	run := func() (*Weights, *TrainReport) {
		w, rep, err := Train(context.Background(), train, val, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return w, rep
	}
	w1, rep := run()
	w2, _ := run()
	for i, c := range w1.Convs {
		d := w2.Convs[i]
		if !slices.Equal(bits(c.W), bits(d.W)) || !slices.Equal(bits(c.B), bits(d.B)) {
			t.Fatalf("two runs with seed 5 differ in %s", c.Name)
		}
	}
	if len(rep.Epochs) != 2 || rep.Steps != 8 || rep.BestEpoch < 1 {
		t.Fatalf("report: %+v", rep)
	}
	for _, e := range rep.Epochs {
		if !(e.TrainLoss > 0) || !(e.ValLoss > 0) || e.Steps != 4 || !(e.FlowsPerSec > 0) {
			t.Fatalf("epoch stats: %+v", e)
		}
	}
	if got := rep.Epochs[rep.BestEpoch-1].ValLoss; got != rep.BestValLoss {
		t.Fatalf("best val loss %v, epoch %d has %v", rep.BestValLoss, rep.BestEpoch, got)
	}
	if err := w1.Validate(); err != nil {
		t.Fatal(err)
	}
	// Training moved every layer away from its start, biases included.
	init := NewWeights(5)
	for i, c := range w1.Convs {
		if slices.Equal(c.W, init.Convs[i].W) || slices.Equal(c.B, init.Convs[i].B) {
			t.Fatalf("%s did not change", c.Name)
		}
	}
}

func bits(v []float32) []uint32 {
	out := make([]uint32, len(v))
	for i, x := range v {
		out[i] = math.Float32bits(x)
	}
	return out
}

// TestTrainLossFalls trains a little on one small set with a partial
// final batch and checks that the loss goes down and Progress is called.
func TestTrainLossFalls(t *testing.T) {
	train := synthImages(21, 20) // 20 = 2 full batches of 8 + a partial one
	var seen []EpochStats
	_, rep, err := Train(context.Background(), train, train[:4], TrainConfig{
		Epochs: 3, Batch: 8, LearnRate: 3e-3, Seed: 1,
		Progress: func(e EpochStats) { seen = append(seen, e) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 3 || seen[2].Epoch != 3 || seen[0].Steps != 3 {
		t.Fatalf("progress: %+v", seen)
	}
	if !(rep.Epochs[2].ValLoss < rep.Epochs[0].ValLoss) {
		t.Fatalf("validation loss did not fall: %v -> %v", rep.Epochs[0].ValLoss, rep.Epochs[2].ValLoss)
	}
	t.Logf("val loss %.4f -> %.4f, %.0f flows/s", rep.Epochs[0].ValLoss, rep.Epochs[2].ValLoss, rep.FlowsPerSec)
}

func TestTrainEarlyStop(t *testing.T) {
	// A learn rate this large overshoots, so the validation loss soon
	// fails to improve (training is deterministic: this always happens at
	// the same epoch).
	train := synthImages(31, 8)
	_, rep, err := Train(context.Background(), train, synthImages(32, 4), TrainConfig{
		Epochs: 20, Batch: 8, LearnRate: 0.3, Seed: 1, Patience: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.StoppedEarly || len(rep.Epochs) == 20 {
		t.Fatalf("no early stop: %d epochs", len(rep.Epochs))
	}
	if last := rep.Epochs[len(rep.Epochs)-1]; last.Epoch-rep.BestEpoch != 1 {
		t.Fatalf("stopped at epoch %d, best %d, patience 1", last.Epoch, rep.BestEpoch)
	}
}

func TestTrainCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	w, rep, err := Train(ctx, synthImages(41, 8), nil, TrainConfig{
		Epochs: 100, Batch: 4, Seed: 1,
		Progress: func(EpochStats) {
			if n++; n == 2 {
				cancel()
			}
		},
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if w == nil || rep == nil || len(rep.Epochs) != 2 {
		t.Fatalf("after cancel: weights %v, report %+v", w != nil, rep)
	}
}

func TestTrainBadInput(t *testing.T) {
	ok := synthImages(1, 2)
	for name, tc := range map[string]struct {
		train, val [][]float32
		cfg        TrainConfig
	}{
		"no images":  {nil, nil, TrainConfig{}},
		"short":      {[][]float32{make([]float32, 10)}, nil, TrainConfig{}},
		"short val":  {ok, [][]float32{make([]float32, 1025)}, TrainConfig{}},
		"batch":      {ok, nil, TrainConfig{Batch: -1}},
		"epochs":     {ok, nil, TrainConfig{Epochs: -1}},
		"learn rate": {ok, nil, TrainConfig{LearnRate: math.NaN()}},
		"patience":   {ok, nil, TrainConfig{Patience: -1}},
		"bad init":   {ok, nil, TrainConfig{Init: &Weights{}}},
	} {
		if _, _, err := Train(context.Background(), tc.train, tc.val, tc.cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
