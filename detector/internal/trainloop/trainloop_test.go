package trainloop

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

type stats struct{ Stats }

// run drives the loop with fixed per-epoch validation losses; the weights
// are the epoch number, so the test can see which were kept.
func run(t *testing.T, losses []float64, patience int, failAt int) (int, *Report[stats], error) {
	t.Helper()
	n := 0
	p := Params[stats, int]{
		Name: "test", Epochs: len(losses), Patience: patience, Batch: 4,
		Epoch: func(context.Context) (stats, error) {
			n++
			if n == failAt {
				return stats{}, context.Canceled
			}
			return stats{Stats{TrainLoss: 1, Steps: 2, Duration: time.Millisecond}}, nil
		},
		Validate: func(context.Context) (float64, error) { return losses[n-1], nil },
		Snapshot: func() int { return n },
		Common:   func(s *stats) *Stats { return &s.Stats },
	}
	return Run(context.Background(), p)
}

func TestBestAndEarlyStop(t *testing.T) {
	best, rep, err := run(t, []float64{0.9, 0.5, 0.6, 0.7, 0.4}, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Epochs 3 and 4 do not improve on epoch 2: patience 2 stops after 4.
	if best != 2 || rep.BestEpoch != 2 || rep.BestValLoss != 0.5 || !rep.StoppedEarly || len(rep.Epochs) != 4 {
		t.Fatalf("best %d report %+v", best, rep)
	}
	if !rep.Epochs[1].Best || rep.Epochs[2].Best || rep.Steps != 8 || rep.FlowsPerSec <= 0 {
		t.Errorf("epochs %+v", rep.Epochs)
	}
}

func TestErrorsKeepTheBestSoFar(t *testing.T) {
	best, rep, err := run(t, []float64{0.9, 0.5, 0.4}, 0, 3)
	if !errors.Is(err, context.Canceled) || best != 2 || len(rep.Epochs) != 2 {
		t.Fatalf("best %d err %v epochs %d", best, err, len(rep.Epochs))
	}
	if _, _, err := run(t, []float64{math.NaN()}, 0, 0); err == nil {
		t.Error("NaN validation loss accepted")
	}
}
