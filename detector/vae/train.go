package vae

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/tlsentry/tlsentry/detector/internal/trainloop"
)

// TrainConfig sets up Train. Zero values take the defaults given.
type TrainConfig struct {
	Epochs    int     // passes over the training images; default 10
	Batch     int     // images per step; default 64
	LearnRate float64 // Adam's step size; default 1e-3
	// Seed sets the initial weights (NewWeights(Seed)), the shuffling and
	// epsilon: the same data and config give bit-identical weights.
	Seed uint64
	// Patience stops training after this many epochs without a better
	// validation loss; 0 never stops early.
	Patience int
	// Progress, if set, is called after every epoch.
	Progress func(EpochStats)
}

// EpochStats describes one epoch: the shared figures (Epoch, TrainLoss,
// ValLoss, Steps, FlowsPerSec, Duration, Best) and the training loss's two
// terms. Training losses are means over the epoch's steps, with sampled
// latents; the validation loss uses the latent mean (what the Scorer
// measures), so the two are not directly comparable. TrainLoss is
// reconstruction + KL; ValLoss is reconstruction + KL per validation image
// (TrainLoss when there are none).
type EpochStats struct {
	trainloop.Stats
	TrainRec float64 // squared reconstruction error per image
	TrainKL  float64 // KL divergence per image
}

// TrainReport summarises a run: Epochs, Steps, BestEpoch (from 1; 0 if
// none finished), BestValLoss, StoppedEarly, FlowsPerSec, Duration.
type TrainReport = trainloop.Report[EpochStats]

// Train fits the model to train (each image Pixels values, byte/255) with
// Adam on reconstruction + KL, and returns the weights of the epoch with the
// lowest validation loss. val may be empty; the epoch's mean training loss
// then stands in for the validation loss.
//
// Each step draws epsilon ~ N(0, I) for the reparameterisation from a PCG
// seeded from cfg.Seed, and each epoch visits the training images in an
// order shuffled by another; nothing comes from gorgonia's clock-seeded
// generators, so the same inputs and config give bit-identical weights. The
// graph's batch size is fixed, so a final partial batch is filled up by
// wrapping around to the start of the epoch's order. The validation loss is
// computed exactly, in plain Go, over every validation image.
//
// Cancelling ctx stops training between steps; Train then returns the best
// weights so far (nil if no epoch finished), the report so far, and
// ctx.Err().
func Train(ctx context.Context, train, val [][]float32, cfg TrainConfig) (*Weights, *TrainReport, error) {
	cfg = cfg.withDefaults()
	if err := cfg.check(train, val); err != nil {
		return nil, nil, err
	}
	model, err := newGraph(NewWeights(cfg.Seed), cfg.Batch, true)
	if err != nil {
		return nil, nil, err
	}
	learn := model.learnables()
	vm := G.NewTapeMachine(model.g, G.BindDualValues(learn...))
	defer vm.Close()
	b := cfg.Batch
	t := &trainer{
		cfg:     cfg,
		model:   model,
		vm:      vm,
		solver:  G.NewAdamSolver(G.WithLearnRate(cfg.LearnRate)),
		learn:   learn,
		x:       tensor.New(tensor.WithShape(b, Pixels), tensor.WithBacking(make([]float32, b*Pixels))),
		eps:     tensor.New(tensor.WithShape(b, Latent), tensor.WithBacking(make([]float32, b*Latent))),
		shuffle: rand.New(rand.NewPCG(cfg.Seed^0x5851f42d4c957f2d, cfg.Seed+1)),
		noise:   rand.New(rand.NewPCG(cfg.Seed^0x2545f4914f6cdd1d, cfg.Seed+2)),
	}
	return t.run(ctx, train, val)
}

func (c TrainConfig) withDefaults() TrainConfig {
	if c.Epochs == 0 {
		c.Epochs = 10
	}
	if c.Batch == 0 {
		c.Batch = 64
	}
	if c.LearnRate == 0 {
		c.LearnRate = 1e-3
	}
	return c
}

func (c TrainConfig) check(train, val [][]float32) error {
	switch {
	case c.Epochs < 1:
		return fmt.Errorf("vae: epochs %d: must be at least 1", c.Epochs)
	case c.Batch < 1:
		return fmt.Errorf("vae: batch %d: must be at least 1", c.Batch)
	case !(c.LearnRate > 0) || math.IsInf(c.LearnRate, 0):
		return fmt.Errorf("vae: learn rate %v: must be positive", c.LearnRate)
	case c.Patience < 0:
		return fmt.Errorf("vae: patience %d: must not be negative", c.Patience)
	case len(train) == 0:
		return errors.New("vae: no training images")
	}
	for _, set := range []struct {
		name string
		imgs [][]float32
	}{{"training", train}, {"validation", val}} {
		for i, img := range set.imgs {
			if len(img) != Pixels {
				return fmt.Errorf("vae: %s image %d has %d values, want %d", set.name, i, len(img), Pixels)
			}
		}
	}
	return nil
}

type trainer struct {
	cfg     TrainConfig
	model   *graph
	vm      G.VM
	solver  G.Solver
	learn   G.Nodes
	x, eps  *tensor.Dense
	shuffle *rand.Rand // epoch orders
	noise   *rand.Rand // epsilon
}

func (t *trainer) run(ctx context.Context, train, val [][]float32) (*Weights, *TrainReport, error) {
	order := make([]int, len(train))
	for i := range order {
		order[i] = i
	}
	p := trainloop.Params[EpochStats, *Weights]{
		Name: "vae", Epochs: t.cfg.Epochs, Patience: t.cfg.Patience, Batch: t.cfg.Batch,
		Epoch:    func(ctx context.Context) (EpochStats, error) { return t.epoch(ctx, train, order) },
		Snapshot: t.model.weights,
		Progress: t.cfg.Progress,
		Common:   func(s *EpochStats) *trainloop.Stats { return &s.Stats },
	}
	if len(val) > 0 {
		p.Validate = func(context.Context) (float64, error) { return validationLoss(t.model.weights(), val) }
	}
	return trainloop.Run(ctx, p)
}

// epoch runs one shuffled pass over train. Duration and FlowsPerSec count
// the training steps only.
func (t *trainer) epoch(ctx context.Context, train [][]float32, order []int) (EpochStats, error) {
	var es EpochStats
	t.shuffle.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	b := t.cfg.Batch
	xs := t.x.Data().([]float32)
	eps := t.eps.Data().([]float32)
	steps := (len(order) + b - 1) / b
	start := time.Now()
	var loss, rec, kl float64
	for s := range steps {
		if err := ctx.Err(); err != nil {
			return es, err
		}
		for i := range b {
			copy(xs[i*Pixels:(i+1)*Pixels], train[order[(s*b+i)%len(order)]])
		}
		for i := range eps {
			eps[i] = float32(t.noise.NormFloat64())
		}
		l, r, k, err := t.step()
		if err != nil {
			return es, fmt.Errorf("vae: epoch step %d: %w", s+1, err)
		}
		loss, rec, kl = loss+l, rec+r, kl+k
		es.Steps++
	}
	es.Duration = time.Since(start)
	n := float64(es.Steps)
	es.TrainLoss, es.TrainRec, es.TrainKL = loss/n, rec/n, kl/n
	if d := es.Duration.Seconds(); d > 0 {
		es.FlowsPerSec = float64(es.Steps*b) / d
	}
	return es, nil
}

// step runs forward, backward and one Adam update on the batch in t.x with
// the epsilon in t.eps, and returns the batch's loss and its two terms.
func (t *trainer) step() (loss, rec, kl float64, err error) {
	if err := G.Let(t.model.x, t.x); err != nil {
		return 0, 0, 0, err
	}
	if err := G.Let(t.model.eps, t.eps); err != nil {
		return 0, 0, 0, err
	}
	defer t.vm.Reset()
	if err := t.vm.RunAll(); err != nil {
		return 0, 0, 0, err
	}
	loss = float64(t.model.loss.Value().Data().(float32))
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return 0, 0, 0, fmt.Errorf("loss is %v", loss)
	}
	rec = float64(t.model.rec.Value().Data().(float32))
	kl = float64(t.model.kl.Value().Data().(float32))
	if err := t.solver.Step(G.NodesToValueGrads(t.learn)); err != nil {
		return 0, 0, 0, err
	}
	return loss, rec, kl, nil
}

// validationLoss is the mean over val of the squared reconstruction error
// through the latent mean plus the KL divergence, computed in float64.
func validationLoss(w *Weights, val [][]float32) (float64, error) {
	s, err := NewScorer(w)
	if err != nil {
		return 0, fmt.Errorf("vae: validation: %w", err)
	}
	rec, kl := s.lossTerms(val)
	return (rec + kl) / float64(len(val)), nil
}
