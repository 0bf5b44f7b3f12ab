package trainloop

import (
	"context"
	"fmt"
	"math"
	"time"
)

// Params describes one training run over a model whose per-epoch
// statistics have type S and whose weights have type W.
type Params[S, W any] struct {
	Epochs   int // at most this many epochs
	Patience int // stop after this many epochs without a better validation loss; 0 never
	Batch    int // images per step, for the flows/s figure
	// Epoch runs one pass over the training data and returns its
	// statistics with TrainLoss, Steps and Duration set.
	Epoch func(ctx context.Context) (S, error)
	// Validate returns the validation loss; nil means there is no
	// validation set and the epoch's training loss stands in.
	Validate func(ctx context.Context) (float64, error)
	// Snapshot copies the current weights (called for each new best).
	Snapshot func() W
	// Progress, if set, is called after every epoch.
	Progress func(S)
	// Common gives the loop the fields all models' statistics share.
	Common func(*S) *Stats
	// Name prefixes errors ("cnn", "vae").
	Name string
}

// Stats holds the per-epoch figures every model reports.
type Stats struct {
	Epoch       int     // from 1
	TrainLoss   float64 // mean of the epoch's step losses
	ValLoss     float64 // validation loss (TrainLoss when there is no validation set)
	Steps       int     // steps in this epoch
	FlowsPerSec float64 // training images per second (forward, backward and update)
	Duration    time.Duration
	Best        bool // ValLoss is the best so far
}

// Report summarises a run.
type Report[S any] struct {
	Epochs       []S
	Steps        int     // all steps
	BestEpoch    int     // the epoch whose weights were kept (from 1; 0 if none finished)
	BestValLoss  float64 // its validation loss
	StoppedEarly bool    // Patience ended the run
	FlowsPerSec  float64 // training images per second over the epochs' steps
	Duration     time.Duration
}

// Run trains until the epochs are done, patience runs out, an epoch fails
// or ctx is cancelled. It returns the best weights so far (the zero W if
// no epoch finished) and the report so far, with any error.
func Run[S, W any](ctx context.Context, p Params[S, W]) (W, *Report[S], error) {
	rep := &Report[S]{BestValLoss: math.Inf(1)}
	var best W
	start := time.Now()
	since := 0 // epochs since the best
	for n := 1; n <= p.Epochs; n++ {
		s, err := p.Epoch(ctx)
		e := p.Common(&s)
		rep.Steps += e.Steps
		rep.Duration = time.Since(start)
		if err != nil {
			return best, rep, err
		}
		e.Epoch = n
		e.ValLoss = e.TrainLoss
		if p.Validate != nil {
			if e.ValLoss, err = p.Validate(ctx); err != nil {
				return best, rep, err
			}
		}
		if math.IsNaN(e.ValLoss) || math.IsInf(e.ValLoss, 0) {
			return best, rep, fmt.Errorf("%s: epoch %d: validation loss is %v", p.Name, n, e.ValLoss)
		}
		if e.ValLoss < rep.BestValLoss {
			e.Best = true
			rep.BestValLoss, rep.BestEpoch = e.ValLoss, n
			best = p.Snapshot()
			since = 0
		} else {
			since++
		}
		rep.Epochs = append(rep.Epochs, s)
		rep.Duration = time.Since(start)
		if p.Progress != nil {
			p.Progress(s)
		}
		if p.Patience > 0 && since >= p.Patience && n < p.Epochs {
			rep.StoppedEarly = true
			break
		}
	}
	var trainTime float64
	var seen int
	for i := range rep.Epochs {
		e := p.Common(&rep.Epochs[i])
		trainTime += e.Duration.Seconds()
		seen += e.Steps * p.Batch
	}
	if trainTime > 0 {
		rep.FlowsPerSec = float64(seen) / trainTime
	}
	return best, rep, nil
}
