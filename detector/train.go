package detector

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/tlsentry/tlsentry/detector/cnn"
	"github.com/tlsentry/tlsentry/detector/evidence"
	"github.com/tlsentry/tlsentry/detector/iforest"
	"github.com/tlsentry/tlsentry/detector/image"
	"github.com/tlsentry/tlsentry/detector/internal/trainloop"
	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/detector/vae"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/bounds"
)

// TrainConfig says what to train and how.
type TrainConfig struct {
	Kind      string  // model.KindHybrid (default), model.KindCNNIForest or model.KindVAE
	Epochs    int     // autoencoder epochs (at most); 0: enough for minSteps optimiser steps (AutoEpochs)
	Batch     int     // images per step; 0: the model's default
	Seed      uint64  // weights, shuffling, validation split and forest
	ValSplit  float64 // share of flows held out for early stopping; default 0.1
	Patience  int     // epochs without a better validation loss before stopping; default 3
	AlertRate float64 // share of training flows the default threshold flags; default 0.001
	Mask      bool    // image prefixes with their random handshake fields zeroed
	Trees     int     // isolation forest trees; default 100 (hybrid: 500)
	Sources   []string
	// Corpus is the benign corpus the hybrid's evidence checks are
	// calibrated on (nil: the training flows), CorpusName how reasons
	// name it; Words are extra benign words for its server-name model
	// (e.g. /usr/share/dict/words).
	Corpus     []*flow.Flow
	CorpusName string
	Words      []string
	// ThresholdOnCorpus sets a hybrid's threshold from the Corpus flows'
	// scores, each scored as new to the model (its capture left out of
	// the novelty profile), instead of from the training flows': the
	// alert rate is then the share of benign corpus flows that alert.
	ThresholdOnCorpus bool
	// Capture names the capture file of training and corpus flows, for
	// leaving a whole capture out (nil: every flow is its own capture).
	Capture map[*flow.Flow]string
	// NoveltyByCapture estimates the chance of a new value from the
	// values only one capture showed, not one flow (novelty.FitGrouped):
	// for a model trained on many networks' captures, to be used on
	// others. Needs Capture. The beacon tracker then measures the
	// rhythm of each capture on its own, too, as a public measurement
	// (a hybrid's rhythm baseline); otherwise the training flows are
	// one network, the site's.
	NoveltyByCapture bool
	// Evidence, if set, is the evidence table to start from (the
	// embedded default's, calibrated on the public corpus) instead of
	// calibrating one on Corpus; a site's training flows are counted
	// into its rates (evidence.Table.With).
	Evidence *evidence.Table
	// Progress, if set, is called after every epoch.
	Progress func(Progress)
}

// Progress reports one finished epoch.
type Progress struct {
	Epoch, Epochs      int // this epoch (from 1) and the most there will be
	TrainLoss, ValLoss float64
	FlowsPerSec        float64
	Duration           time.Duration // of this epoch
	Best               bool          // the best validation loss so far
}

// WithDefaults returns c with its zero values replaced by the defaults:
// the hybrid kind, a validation split of 0.1, patience 3, alert rate
// 0.001, 500 trees for a hybrid (100 otherwise). Epochs and Batch stay 0
// (chosen when training, from the data and the kind).
func (c TrainConfig) WithDefaults() TrainConfig {
	if c.Kind == "" {
		c.Kind = model.KindHybrid
	}
	if c.ValSplit == 0 {
		c.ValSplit = 0.1
	}
	if c.Patience == 0 {
		c.Patience = 3
	}
	if c.AlertRate == 0 {
		c.AlertRate = 0.001
	}
	if c.Trees == 0 {
		c.Trees = iforest.DefaultTrees
		if c.Kind == model.KindHybrid {
			c.Trees = hybridTrees
		}
	}
	return c
}

// Bounds TrainConfig.Validate enforces. A share is more than 0 and less
// than a half; Epochs, Batch and Trees may be 0 (the default).
const (
	MaxTrainEpochs = 1000
	MaxTrainBatch  = 1024 // gorgonia takes about 120 MB per 256 images
	MaxTrees       = 5000
	MaxPatience    = 100
)

// Share is the interval of ValSplit and AlertRate.
var Share = bounds.Interval{Lo: 0, Hi: 0.5, LoOpen: true, HiOpen: true}

// Validate reports every setting out of its bounds (a *bounds.Error
// each). Zero ValSplit, Patience and AlertRate are out of bounds: Train
// fills them with the defaults first (WithDefaults), a command line does
// not.
func (c TrainConfig) Validate() error {
	var errs []error
	if c.Kind != model.KindCNNIForest && c.Kind != model.KindVAE && c.Kind != model.KindHybrid {
		bounds.Add(&errs, "Kind", "%q is not a model kind: train knows %s, %s and %s", c.Kind, model.KindHybrid, model.KindCNNIForest, model.KindVAE)
	}
	bounds.Int(&errs, "Epochs", c.Epochs, 0, MaxTrainEpochs)
	bounds.Int(&errs, "Batch", c.Batch, 0, MaxTrainBatch)
	bounds.Int(&errs, "Trees", c.Trees, 0, MaxTrees)
	bounds.Int(&errs, "Patience", c.Patience, 1, MaxPatience)
	bounds.Float64(&errs, "ValSplit", c.ValSplit, Share)
	bounds.Float64(&errs, "AlertRate", c.AlertRate, Share)
	return errors.Join(errs...)
}

func (c TrainConfig) check(n int) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if n < 16 {
		return fmt.Errorf("%d flows with payload: need at least 16 to train", n)
	}
	return nil
}

// Train fits a model to flows (those without payload are skipped) and
// returns its model file, with the threshold set at the (1 - AlertRate)
// quantile of the training flows' scores.
func Train(ctx context.Context, flows []*flow.Flow, cfg TrainConfig) (*model.File, error) {
	cfg = cfg.WithDefaults()
	var kept []*flow.Flow
	for _, f := range flows {
		if len(f.Prefix) > 0 {
			kept = append(kept, f)
		}
	}
	if err := cfg.check(len(kept)); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	// A seeded shuffle picks the validation flows.
	order := rand.New(rand.NewPCG(cfg.Seed, 0x7e57)).Perm(len(kept))
	nVal := int(cfg.ValSplit * float64(len(kept)))
	var set trainSet
	im := imager{masked: cfg.Mask}
	for i, j := range order {
		img := make([]float32, image.Pixels)
		im.fill(img, Input{Flow: kept[j]})
		if i < nVal {
			set.val = append(set.val, img)
		} else {
			set.train = append(set.train, img)
		}
		set.flows = append(set.flows, kept[j]) // train flows first, then validation
	}
	train, val := set.train, set.val
	if cfg.Epochs == 0 {
		cfg.Epochs = AutoEpochs(len(train), batchOf(cfg))
	}
	f := &model.File{Meta: model.Meta{
		Kind: cfg.Kind, Layout: layout(cfg.Mask),
		AlertRate: cfg.AlertRate,
		Training:  model.Training{Flows: len(train), ValidationFlow: len(val), Sources: cfg.Sources, Seed: cfg.Seed},
		Params:    map[string]string{},
	}}
	var err error
	switch cfg.Kind {
	case model.KindCNNIForest:
		err = trainCNNIForest(ctx, f, train, val, cfg)
	case model.KindHybrid:
		err = trainHybrid(ctx, f, &set, cfg)
	case model.KindVAE:
		err = trainVAE(ctx, f, train, val, cfg)
	}
	if err != nil {
		return nil, err
	}
	if cfg.Kind == model.KindHybrid {
		// Every flow, with payload or not, as the daemon's tracker sees.
		if err := addRhythm(f, flows, cfg); err != nil {
			return nil, err
		}
	}
	// The threshold comes from the model's own scores on all its flows,
	// or on the corpus.
	if err := threshold(f, kept, cfg); err != nil {
		return nil, err
	}
	return f, nil
}

func threshold(f *model.File, kept []*flow.Flow, cfg TrainConfig) error {
	if cfg.ThresholdOnCorpus && cfg.Kind == model.KindHybrid {
		return setThresholdOnCorpus(f, kept, cfg)
	}
	return setThreshold(f, kept, cfg.AlertRate, nil)
}

func layout(masked bool) string {
	if masked {
		return model.LayoutPrefix1024Masked
	}
	return model.LayoutPrefix1024
}

// Optimiser steps the autoencoders get at least (early stopping may end
// training sooner), and the bounds on the epochs that gives.
const (
	minSteps  = 600
	minEpochs = 10
	maxEpochs = 60
)

// AutoEpochs is the default epoch count for n training images in batches
// of batch: enough passes for minSteps steps, so that a small network's few
// hundred flows train as long as a large one's thousands, within
// [minEpochs, maxEpochs].
func AutoEpochs(n, batch int) int {
	steps := max(1, (n+batch-1)/batch)
	return min(maxEpochs, max(minEpochs, (minSteps+steps-1)/steps))
}

// batchOf is the batch size training will use.
func batchOf(cfg TrainConfig) int {
	switch {
	case cfg.Batch > 0:
		return cfg.Batch
	case cfg.Kind == model.KindVAE:
		return 64
	}
	return 32
}

// fileToModel loads a model file built in memory (round trip through its
// encoding, so training checks exactly what a sensor will load).
func fileToModel(f *model.File) (*Model, error) {
	data, err := f.Encode()
	if err != nil {
		return nil, err
	}
	return Load(data)
}

// progress reports one epoch of either model.
func progress(cfg TrainConfig, e trainloop.Stats) {
	if cfg.Progress != nil {
		epochs := cfg.Epochs
		cfg.Progress(Progress{Epoch: e.Epoch, Epochs: epochs, TrainLoss: e.TrainLoss, ValLoss: e.ValLoss, FlowsPerSec: e.FlowsPerSec, Duration: e.Duration, Best: e.Best})
	}
}

// noteTraining records a run's epochs and losses in the model file.
func noteTraining[S any](f *model.File, rep *trainloop.Report[S], stats func(*S) *trainloop.Stats) {
	f.Meta.Training.Epochs = len(rep.Epochs)
	if n := len(rep.Epochs); n > 0 {
		f.Meta.Training.FinalLoss = stats(&rep.Epochs[n-1]).TrainLoss
	}
	f.Meta.Training.ValidationLoss = rep.BestValLoss
}

// trainSet is the training data: images of the training and validation
// flows, and the flows themselves in that order.
type trainSet struct {
	train, val [][]float32
	flows      []*flow.Flow
}

// trainEncoder trains the autoencoder, adds its weights to f and returns
// the codes of every image (training, then validation).
func trainEncoder(ctx context.Context, f *model.File, train, val [][]float32, cfg TrainConfig) ([][]float32, error) {
	w, rep, err := cnn.Train(ctx, train, val, cnn.TrainConfig{
		Epochs: cfg.Epochs, Batch: cfg.Batch, Seed: cfg.Seed, Patience: cfg.Patience,
		Progress: func(e cnn.EpochStats) { progress(cfg, e.Stats) },
	})
	if err != nil {
		return nil, fmt.Errorf("train autoencoder: %w", err)
	}
	noteTraining(f, rep, func(e *cnn.EpochStats) *trainloop.Stats { return &e.Stats })
	addCNN(f, w)
	enc, err := cnn.NewEncoder(w, scoreBatch)
	if err != nil {
		return nil, err
	}
	all := append(slices.Clone(train), val...)
	codes := make([][]float32, len(all))
	batch := make([]float32, scoreBatch*image.Pixels)
	out := make([]float32, scoreBatch*cnn.CodeSize)
	for start := 0; start < len(all); start += scoreBatch {
		n := min(scoreBatch, len(all)-start)
		for i := range n {
			copy(batch[i*image.Pixels:], all[start+i])
		}
		enc.Encode(batch, n, out)
		for i := range n {
			codes[start+i] = slices.Clone(out[i*cnn.CodeSize : (i+1)*cnn.CodeSize])
		}
	}
	return codes, nil
}

// addForest fits an isolation forest to rows and adds it to f.
func addForest(f *model.File, rows [][]float32, cfg TrainConfig) (*iforest.Forest, error) {
	forest, err := iforest.Fit(rows, iforest.Config{Trees: cfg.Trees, Seed: cfg.Seed})
	if err != nil {
		return nil, fmt.Errorf("fit isolation forest: %w", err)
	}
	data, err := forest.MarshalBinary()
	if err != nil {
		return nil, err
	}
	f.Sections = append(f.Sections, model.Section{Name: iforestSection, Data: data})
	f.Meta.Params["trees"] = strconv.Itoa(forest.Trees())
	f.Meta.Params["max_samples"] = strconv.Itoa(forest.MaxSamples())
	return forest, nil
}

func trainCNNIForest(ctx context.Context, f *model.File, train, val [][]float32, cfg TrainConfig) error {
	codes, err := trainEncoder(ctx, f, train, val, cfg)
	if err != nil {
		return err
	}
	// The forest is fitted on the codes of every training flow.
	_, err = addForest(f, codes, cfg)
	return err
}

func trainVAE(ctx context.Context, f *model.File, train, val [][]float32, cfg TrainConfig) error {
	w, rep, err := vae.Train(ctx, train, val, vae.TrainConfig{
		Epochs: cfg.Epochs, Batch: cfg.Batch, Seed: cfg.Seed, Patience: cfg.Patience,
		Progress: func(e vae.EpochStats) { progress(cfg, e.Stats) },
	})
	if err != nil {
		return fmt.Errorf("train VAE: %w", err)
	}
	noteTraining(f, rep, func(e *vae.EpochStats) *trainloop.Stats { return &e.Stats })
	addVAE(f, w)
	return nil
}
