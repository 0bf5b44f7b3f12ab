package cnn

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
	Batch     int     // images per step; default 32 (memory grows fast past 64)
	LearnRate float64 // Adam's step size; default 1e-3
	Seed      uint64  // initial weights (NewWeights(Seed)) and shuffling
	// Patience stops training after this many epochs without a better
	// validation loss; 0 never stops early.
	Patience int
	// Init, if set, is where training starts instead of NewWeights(Seed).
	Init *Weights
	// Progress, if set, is called after every epoch.
	Progress func(EpochStats)
}

// EpochStats describes one epoch: Epoch, TrainLoss, ValLoss (binary
// cross-entropy over all validation images; TrainLoss when there are
// none), Steps, FlowsPerSec, Duration and Best.
type EpochStats struct {
	trainloop.Stats
}

// TrainReport summarises a run: Epochs, Steps, BestEpoch (from 1; 0 if
// none finished), BestValLoss, StoppedEarly, FlowsPerSec, Duration.
type TrainReport = trainloop.Report[EpochStats]

// Train fits the autoencoder to train (each image Pixels values, byte/255)
// with Adam on the binary cross-entropy, and returns the weights of the epoch
// with the lowest validation loss. val may be empty; then the epoch's mean
// training loss stands in for the validation loss.
//
// Each epoch visits the training images in an order shuffled by a PCG
// seeded from cfg.Seed. The graph's batch size is fixed, so a final partial
// batch is filled up by wrapping around to the start of the epoch's order:
// every image is seen every epoch, a few twice, and a set smaller than one
// batch still trains. The validation loss is computed exactly over the
// validation images (the padding of the last batch is left out).
//
// The same inputs and config give bit-identical weights. Cancelling ctx stops
// training between steps; Train then returns the best weights so far (nil if
// no epoch finished), the report so far, and ctx.Err().
func Train(ctx context.Context, train, val [][]float32, cfg TrainConfig) (*Weights, *TrainReport, error) {
	cfg = cfg.withDefaults()
	if err := cfg.check(train, val); err != nil {
		return nil, nil, err
	}
	init := cfg.Init
	if init == nil {
		init = NewWeights(cfg.Seed)
	}
	model, err := newAutoencoder(init, cfg.Batch, true)
	if err != nil {
		return nil, nil, err
	}
	eval, err := newAutoencoder(init, cfg.Batch, false)
	if err != nil {
		return nil, nil, err
	}
	learn := model.learnables()
	vm := G.NewTapeMachine(model.g, G.BindDualValues(learn...))
	defer vm.Close()
	evm := G.NewTapeMachine(eval.g)
	defer evm.Close()
	solver := G.NewAdamSolver(G.WithLearnRate(cfg.LearnRate))

	t := &trainer{
		cfg: cfg, model: model, eval: eval, vm: vm, evm: evm, solver: solver, learn: learn,
		in:  tensor.New(tensor.WithShape(cfg.Batch, 1, Side, Side), tensor.WithBacking(make([]float32, cfg.Batch*Pixels))),
		rng: rand.New(rand.NewPCG(cfg.Seed^0x5851f42d4c957f2d, cfg.Seed+1)),
	}
	return t.run(ctx, train, val)
}

func (c TrainConfig) withDefaults() TrainConfig {
	if c.Epochs == 0 {
		c.Epochs = 10
	}
	if c.Batch == 0 {
		c.Batch = 32
	}
	if c.LearnRate == 0 {
		c.LearnRate = 1e-3
	}
	return c
}

func (c TrainConfig) check(train, val [][]float32) error {
	switch {
	case c.Epochs < 1:
		return fmt.Errorf("cnn: epochs %d: must be at least 1", c.Epochs)
	case c.Batch < 1:
		return fmt.Errorf("cnn: batch %d: must be at least 1", c.Batch)
	case !(c.LearnRate > 0) || math.IsInf(c.LearnRate, 0):
		return fmt.Errorf("cnn: learn rate %v: must be positive", c.LearnRate)
	case c.Patience < 0:
		return fmt.Errorf("cnn: patience %d: must not be negative", c.Patience)
	case len(train) == 0:
		return errors.New("cnn: no training images")
	}
	if c.Init != nil {
		if err := c.Init.Validate(); err != nil {
			return err
		}
	}
	for _, set := range []struct {
		name string
		imgs [][]float32
	}{{"training", train}, {"validation", val}} {
		for i, img := range set.imgs {
			if len(img) != Pixels {
				return fmt.Errorf("cnn: %s image %d has %d values, want %d", set.name, i, len(img), Pixels)
			}
		}
	}
	return nil
}

type trainer struct {
	cfg         TrainConfig
	model, eval *autoencoder
	vm, evm     G.VM
	solver      G.Solver
	learn       G.Nodes
	in          *tensor.Dense
	rng         *rand.Rand
}

func (t *trainer) run(ctx context.Context, train, val [][]float32) (*Weights, *TrainReport, error) {
	order := make([]int, len(train))
	for i := range order {
		order[i] = i
	}
	p := trainloop.Params[EpochStats, *Weights]{
		Name: "cnn", Epochs: t.cfg.Epochs, Patience: t.cfg.Patience, Batch: t.cfg.Batch,
		Epoch:    func(ctx context.Context) (EpochStats, error) { return t.epoch(ctx, train, order) },
		Snapshot: t.model.weights,
		Progress: t.cfg.Progress,
		Common:   func(s *EpochStats) *trainloop.Stats { return &s.Stats },
	}
	if len(val) > 0 {
		p.Validate = func(ctx context.Context) (float64, error) { return t.validate(ctx, val) }
	}
	return trainloop.Run(ctx, p)
}

// epoch runs one shuffled pass over train. Duration and FlowsPerSec count
// the training steps only.
func (t *trainer) epoch(ctx context.Context, train [][]float32, order []int) (EpochStats, error) {
	var es EpochStats
	t.rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	b := t.cfg.Batch
	buf := t.in.Data().([]float32)
	steps := (len(order) + b - 1) / b
	start := time.Now()
	var sum float64
	for s := 0; s < steps; s++ {
		if err := ctx.Err(); err != nil {
			return es, err
		}
		for i := range b {
			copy(buf[i*Pixels:(i+1)*Pixels], train[order[(s*b+i)%len(order)]])
		}
		loss, err := t.step()
		if err != nil {
			return es, fmt.Errorf("cnn: step %d: %w", s+1, err)
		}
		sum += loss
		es.Steps++
	}
	es.Duration = time.Since(start)
	es.TrainLoss = sum / float64(es.Steps)
	if d := es.Duration.Seconds(); d > 0 {
		es.FlowsPerSec = float64(es.Steps*b) / d
	}
	return es, nil
}

// step runs forward, backward and one Adam update on the batch in t.in.
func (t *trainer) step() (float64, error) {
	if err := G.Let(t.model.x, t.in); err != nil {
		return 0, err
	}
	defer t.vm.Reset()
	if err := t.vm.RunAll(); err != nil {
		return 0, err
	}
	loss := float64(t.model.loss.Value().Data().(float32))
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return 0, fmt.Errorf("loss is %v", loss)
	}
	if err := t.solver.Step(G.NodesToValueGrads(t.learn)); err != nil {
		return 0, err
	}
	return loss, nil
}

// validate returns the mean BCE over every pixel of val, with the current
// weights, computed in float64 from the forward graph's logits.
func (t *trainer) validate(ctx context.Context, val [][]float32) (float64, error) {
	t.eval.setWeights(t.model.weights())
	b := t.cfg.Batch
	buf := t.in.Data().([]float32)
	var sum float64
	for off := 0; off < len(val); off += b {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		n := min(b, len(val)-off)
		for i := range n {
			copy(buf[i*Pixels:(i+1)*Pixels], val[off+i])
		}
		clear(buf[n*Pixels:])
		if err := G.Let(t.eval.x, t.in); err != nil {
			return 0, err
		}
		err := t.evm.RunAll()
		if err == nil {
			z := t.eval.logits.Value().Data().([]float32)
			sum += bce(buf[:n*Pixels], z[:n*Pixels])
		}
		t.evm.Reset()
		if err != nil {
			return 0, fmt.Errorf("cnn: validation: %w", err)
		}
	}
	return sum / float64(len(val)*Pixels), nil
}

// bce sums softplus(z) - x·z over the pixels, the binary cross-entropy of
// target x against prediction sigmoid(z).
func bce(x, z []float32) float64 {
	var s float64
	for i, zi := range z {
		v := float64(zi)
		s += math.Max(v, 0) + math.Log1p(math.Exp(-math.Abs(v))) - float64(x[i])*v
	}
	return s
}
