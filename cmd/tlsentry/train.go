package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tlsentry/tlsentry/detector"
	"github.com/tlsentry/tlsentry/detector/dataset"
	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
)

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	var files fileList
	var cfg detector.TrainConfig
	fs.Var(&files, "r", "capture file to learn from (pcap or pcapng); repeat for several")
	kind := fs.String("model", model.KindHybrid, "model kind: "+model.KindHybrid+" (handshake features, novelty and the CNN code), "+model.KindCNNIForest+" (the seed design) or "+model.KindVAE)
	out := fs.String("out", "", "model file to write")
	fs.IntVar(&cfg.Epochs, "epochs", 0, "autoencoder epochs, at most (early stopping may end sooner); 0: enough for 600 optimiser steps, 10 to 60")
	fs.IntVar(&cfg.Batch, "batch", 0, "images per training step (0: the model's default, 32 for the CNN, 64 for the VAE)")
	seed := fs.Uint64("seed", 1, "seed of weights, shuffling, validation split and forest: the same seed gives the same model")
	fs.Float64Var(&cfg.ValSplit, "val-split", 0.1, "share of flows held out for early stopping")
	fs.IntVar(&cfg.Patience, "patience", 3, "epochs without a better validation loss before stopping")
	fs.Float64Var(&cfg.AlertRate, "alert-rate", 0.001, "share of training flows the default threshold flags")
	fs.IntVar(&cfg.Trees, "trees", 0, "isolation forest trees (0: the model's default, 500 for hybrid, 100 for cnn-iforest)")
	fs.BoolVar(&cfg.Mask, "mask", false, "zero the handshake's random fields (randoms, session ids, key shares) before imaging")
	curve := fs.String("curve", "", "write the training curve (loss per epoch) to this CSV file")
	tlsOnly := fs.Bool("tls-only", false, "learn only the flows that spoke TLS, so that anything else on a TLS port stands out")
	tlsPortsOnly := fs.Bool("tls-ports", false, "learn only the flows to a well-known TLS port (443, 8443, 993...: what a TLS sensor watches)")
	calib := fs.Bool("calibrate", false, "hybrid: calibrate the evidence checks on these captures (a public benign corpus: make model) instead of taking the embedded default model's")
	var corpus fileList
	fs.Var(&corpus, "corpus", "with -calibrate: benign application captures (repeat for several) to calibrate the evidence checks on instead (their flows to TLS ports), and to set the threshold on: -alert-rate of their flows alert, each scored without its capture in the novelty profile; the novelty then counts the values only one capture showed as what a new network brings")
	var live liveLearning
	fs.StringVar(&live.iface, "i", "", "learn from this network interface instead of capture files (learning mode; needs CAP_NET_RAW and CAP_BPF)")
	fs.DurationVar(&live.duration, "duration", time.Hour, "with -i: how long to learn")
	fs.StringVar(&live.ports, "ports", "443", "with -i: watched TCP server ports, comma-separated")
	fs.IntVar(&live.stopAfter, "stop-after", 200000, "with -i: stop learning after this many flows")
	fs.IntVar(&live.workers, "workers", 0, "with -i: capture workers, each with its own flow table (0: the capture's default)")
	var table tableFlags
	table.register(fs)
	fs.BoolVar(&live.noBPF, "no-bpf", false, "with -i: capture without the eBPF filter")
	encoder := fs.String("encoder", "", "hybrid: take the CNN encoder from this model file instead of training one (same data, new features)")
	update := fs.String("update", "", "add the flows (captures) to this hybrid model's baseline: novelty profile and threshold, keeping its networks; writes -out")
	words := fs.String("words", "/usr/share/dict/words", "benign words for the server-name check (read only when training; skipped when missing)")
	holdout := fs.Bool("holdout", false, "leave out the held-out fifth of the files (dataset.HeldOut), to evaluate on them later")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tlsentry train -r FILE [-r FILE ...] -out MODEL [flags]\n       tlsentry train -i IFACE -duration 24h [-ports 443,8443] -out MODEL [flags]\n\nLearns what the flows of the given captures (or of live traffic) look like and writes a model file.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return ignoreHelp(err)
	}
	if (len(files) == 0) == (live.iface == "") || *out == "" {
		fs.Usage()
		return fmt.Errorf("%w: train needs -out MODEL and either -r FILE or -i IFACE", errUsage)
	}
	if len(corpus) > 0 && !*calib {
		return fmt.Errorf("%w: -corpus needs -calibrate", errUsage)
	}
	if *holdout {
		var held []string
		files, held = dataset.Split(files)
		corpus, _ = dataset.Split(corpus)
		fmt.Fprintf(stderr, "train: %d file(s) held out for evaluation\n", len(held))
		if len(files) == 0 {
			return fmt.Errorf("%w: every file is held out", errUsage)
		}
	}
	cfg.Kind, cfg.Seed = *kind, *seed
	for _, f := range files {
		cfg.Sources = append(cfg.Sources, filepath.Base(f))
	}
	var epochs []detector.Progress
	report := newProgress(stderr)
	cfg.Progress = func(p detector.Progress) {
		epochs = append(epochs, p)
		report(p)
	}

	tableCfg, err := table.config()
	if err != nil {
		return err
	}
	cfg.Capture = map[*flow.Flow]string{}
	flows, loadErr := trainingFlows(ctx, files, tableCfg, &live, cfg.Capture, stderr)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if loadErr != nil {
		fmt.Fprintln(stderr, "train:", loadErr) // train on what could be read
	}
	if live.iface != "" {
		cfg.Sources = []string{"live:" + live.iface}
	}
	if *update != "" {
		return runUpdate(*update, *out, flows, stdout, loadErr)
	}
	switch {
	case *calib && len(corpus) > 0:
		set, err := pipeline.LoadFlows(ctx, corpus, tableCfg)
		if err != nil {
			return fmt.Errorf("corpus: %w", err)
		}
		for _, sf := range set {
			cfg.Capture[sf.Flow] = sf.Source
			cfg.Corpus = append(cfg.Corpus, sf.Flow)
		}
		cfg.Corpus = tlsPortFlows(cfg.Corpus)
		cfg.CorpusName = fmt.Sprintf("%d flows of %d public application captures", len(cfg.Corpus), len(corpus))
		cfg.ThresholdOnCorpus, cfg.NoveltyByCapture = true, true
		cfg.Words = readWords(*words)
		fmt.Fprintf(stderr, "train: corpus of %d flows to TLS ports from %d file(s)\n", len(cfg.Corpus), len(corpus))
	case *calib:
		cfg.Corpus = tlsPortFlows(flows)
		cfg.CorpusName = fmt.Sprintf("%d flows of the public captures", len(cfg.Corpus))
		cfg.Words = readWords(*words)
	default:
		if ev, err := detector.DefaultEvidence(); err == nil {
			cfg.Evidence = ev
		} else {
			fmt.Fprintln(stderr, "train: no default model to take evidence weights from; calibrating them on these captures:", err)
		}
	}
	if *tlsPortsOnly {
		n := len(flows)
		flows = tlsPortFlows(flows)
		fmt.Fprintf(stderr, "train: %d of %d flows went to a TLS port\n", len(flows), n)
	}
	if *tlsOnly {
		n := len(flows)
		flows = keepTLS(flows)
		fmt.Fprintf(stderr, "train: %d of %d flows spoke TLS\n", len(flows), n)
	}
	fmt.Fprintf(stderr, "train: %d flows with payload from %d file(s); training %s\n", len(flows), len(files), cfg.Kind)
	f, err := trainModel(ctx, *encoder, flows, cfg)
	if err != nil {
		return fmt.Errorf("%w", err)
	}
	data, err := f.Encode()
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	printModel(stdout, *out, f)
	summarise(flows).print(stdout)
	if *curve != "" {
		if err := writeCurve(*curve, epochs); err != nil {
			return err
		}
	}
	return loadErr
}

// trainingFlows reads the flows of the capture files, or captures them
// live when an interface is given.
// captures, when not nil, gets each flow's capture file.
func trainingFlows(ctx context.Context, files []string, table flow.Config, live *liveLearning, captures map[*flow.Flow]string, stderr io.Writer) ([]*flow.Flow, error) {
	if live.iface != "" {
		return live.captureFlows(ctx, table, stderr)
	}
	set, err := pipeline.LoadFlows(ctx, files, table)
	flows := make([]*flow.Flow, len(set))
	for i := range set {
		flows[i] = set[i].Flow
		if captures != nil {
			captures[flows[i]] = set[i].Source
		}
	}
	return flows, err
}

// printModel reports what a model learned.
func printModel(w io.Writer, path string, f *model.File) {
	m, t := f.Meta, f.Meta.Training
	fmt.Fprintf(w, "model %s: %s %s (%d bytes of sections)\n", path, m.Kind, f.ID, sectionBytes(f))
	src := strings.Join(t.Sources, ", ")
	if len(t.Sources) > 3 {
		src = fmt.Sprintf("%d files (%s, ...)", len(t.Sources), strings.Join(t.Sources[:3], ", "))
	}
	fmt.Fprintf(w, "  trained on %d flows (+%d for validation) from %s, seed %d\n", t.Flows, t.ValidationFlow, src, t.Seed)
	fmt.Fprintf(w, "  %d epochs, final loss %.5f, best validation loss %.5f\n", t.Epochs, t.FinalLoss, t.ValidationLoss)
	var qs []string
	for q := range t.ScoreQuantiles {
		qs = append(qs, q)
	}
	slices.Sort(qs)
	for _, q := range qs {
		fmt.Fprintf(w, "  score quantile %s: %.5f\n", q, t.ScoreQuantiles[q])
	}
	if t.Notes != "" {
		fmt.Fprintf(w, "  notes: %s\n", t.Notes)
	}
	fmt.Fprintf(w, "  threshold %.5f (alert rate %.2f%%)\n", m.Threshold, 100*m.AlertRate)
}

func sectionBytes(f *model.File) int {
	n := 0
	for _, s := range f.Sections {
		n += len(s.Data)
	}
	return n
}

// writeCurve writes one CSV line per epoch.
func writeCurve(path string, epochs []detector.Progress) error {
	var b strings.Builder
	b.WriteString("epoch,train_loss,validation_loss,flows_per_second,seconds,best\n")
	for _, p := range epochs {
		fmt.Fprintf(&b, "%d,%g,%g,%.0f,%.2f,%t\n", p.Epoch, p.TrainLoss, p.ValLoss, p.FlowsPerSec, p.Duration.Seconds(), p.Best)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("training curve: %w", err)
	}
	return nil
}

// newProgress reports training epochs: a bar redrawn in place when stderr
// is a terminal, one log line per epoch otherwise.
func newProgress(stderr io.Writer) func(detector.Progress) {
	f, ok := stderr.(*os.File)
	tty := false
	if ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	var spent time.Duration
	return func(p detector.Progress) {
		spent += p.Duration
		left := time.Duration(float64(spent) / float64(p.Epoch) * float64(p.Epochs-p.Epoch)).Round(time.Second)
		best := ""
		if p.Best {
			best = " (best)"
		}
		stats := fmt.Sprintf("epoch %d/%d: loss %.5f, validation loss %.5f%s, %.0f flows/s, at most %s left",
			p.Epoch, p.Epochs, p.TrainLoss, p.ValLoss, best, p.FlowsPerSec, left)
		if !tty {
			fmt.Fprintln(stderr, "train:", stats)
			return
		}
		const width = 20
		done := width * p.Epoch / max(p.Epochs, 1)
		fmt.Fprintf(stderr, "\r\x1b[K[%s%s] %s", strings.Repeat("#", done), strings.Repeat("-", width-done), stats)
		if p.Epoch == p.Epochs {
			fmt.Fprintln(stderr)
		}
	}
}
