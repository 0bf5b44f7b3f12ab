package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tlsentry/tlsentry/detector"
	"github.com/tlsentry/tlsentry/detector/beacon"
	"github.com/tlsentry/tlsentry/detector/dataset"
	"github.com/tlsentry/tlsentry/detector/features"
	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/detector/novelty"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/bounds"
	"github.com/tlsentry/tlsentry/internal/termsafe"
	"github.com/tlsentry/tlsentry/sensor/afpacket"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
)

var trainHelp = help{
	usage: []string{"tlsentry train -r FILE [-r FILE ...] -out MODEL [flags]",
		"tlsentry train -i IFACE -duration 24h [-ports 443,8443] -out MODEL [flags]",
		"tlsentry train -stream [-config FILE | -server URL] [-since 24h] -out MODEL [flags]"},
	about: `Learns what the flows of the given captures (or of live traffic on an
interface: learning mode) look like and writes a model file for score, eval
and run (detector.model). One progress line per epoch goes to stderr; on
stdout, what was learned: flows, losses, score quantiles, the threshold,
protocols, TLS versions, client stacks (JA4) and servers (SNI).

Learning mode (-i) captures on the watched -ports with the eBPF filter
(unless -no-bpf) until -duration or -stop-after flows; it needs
CAP_NET_RAW, and CAP_BPF for the filter. Train on your own network: the
same seed gives the same model file.

-stream learns from the fleet instead: the flow records every sensor
published to the NATS stream (output.nats of -config, or -server), those
written with output.include_handshake, each turned back into the flow its
sensor scored.`,
}

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train", trainHelp)
	var files fileList
	var cfg detector.TrainConfig
	fs.Var(&files, "r", "capture `FILE` to learn from (pcap or pcapng, gzip-compressed or not; - for standard input); repeat for several")
	kind := fs.String("model", model.KindHybrid, "model kind: "+model.KindHybrid+" (handshake features, novelty and the CNN code), "+model.KindCNNIForest+" (the seed design) or "+model.KindVAE)
	out := fs.String("out", "", "model file to write")
	fs.IntVar(&cfg.Epochs, "epochs", 0, fmt.Sprintf("autoencoder epochs, at most (early stopping may end sooner), 0-%d; 0: enough for 600 optimiser steps, 10 to 60", detector.MaxTrainEpochs))
	fs.IntVar(&cfg.Batch, "batch", 0, fmt.Sprintf("images per training step, 0-%d (0: the model's default, 32 for the CNN, 64 for the VAE)", detector.MaxTrainBatch))
	seed := fs.Uint64("seed", 1, "seed of weights, shuffling, validation split and forest: the same seed gives the same model")
	fs.Float64Var(&cfg.ValSplit, "val-split", 0.1, "share of flows held out for early stopping ("+detector.Share.String()+")")
	fs.IntVar(&cfg.Patience, "patience", 3, fmt.Sprintf("epochs without a better validation loss before stopping (1-%d)", detector.MaxPatience))
	fs.Float64Var(&cfg.AlertRate, "alert-rate", 0.001, "share of training flows the default threshold flags ("+detector.Share.String()+")")
	fs.IntVar(&cfg.Trees, "trees", 0, fmt.Sprintf("isolation forest trees, 0-%d (0: the model's default, 500 for hybrid, 100 for cnn-iforest)", detector.MaxTrees))
	fs.BoolVar(&cfg.Mask, "mask", false, "zero the handshake's random fields (randoms, session ids, key shares, session tickets, pre-shared keys) before imaging (default: on for hybrid, off for cnn-iforest and vae)")
	curve := fs.String("curve", "", "write the training curve (loss per epoch) to this CSV file")
	tlsOnly := fs.Bool("tls-only", false, "learn only the flows that spoke TLS, so that anything else on a TLS port stands out")
	tlsPortsOnly := fs.Bool("tls-ports", false, "learn only the flows to a well-known TLS port (443, 8443, 993...: what a TLS sensor watches)")
	calib := fs.Bool("calibrate", false, "hybrid: calibrate the evidence checks on these captures alone (a public benign corpus: make model) instead of counting their flows into the embedded default model's")
	var corpus fileList
	fs.Var(&corpus, "corpus", "with -calibrate: benign application captures (repeat for several) to calibrate the evidence checks on instead (their flows to TLS ports), and to set the threshold on: -alert-rate of their flows alert, each scored without its capture in the novelty profile; the novelty then counts the values only one capture showed as what a new network brings")
	var live liveLearning
	fs.StringVar(&live.iface, "i", "", "learn from this network interface instead of capture files (learning mode; needs CAP_NET_RAW and CAP_BPF)")
	fs.DurationVar(&live.duration, "duration", time.Hour, fmt.Sprintf("with -i: how long to learn (%s to %s)", bounds.Short(minLearnDuration), bounds.Short(maxLearnDuration)))
	fs.StringVar(&live.ports, "ports", defaultLearnPorts(), "with -i: watched TCP server ports, comma-separated")
	fs.IntVar(&live.stopAfter, "stop-after", 200000, fmt.Sprintf("with -i: stop learning after this many flows (1-%d)", maxLearnFlows))
	fs.IntVar(&live.workers, "workers", 0, fmt.Sprintf("with -i: capture workers, each with its own flow table, 0-%d (0: the capture's default)", afpacket.MaxWorkers))
	var table tableFlags
	table.register(fs)
	fs.BoolVar(&live.noBPF, "no-bpf", false, "with -i: capture without the eBPF filter")
	encoder := fs.String("encoder", "", "hybrid: take the CNN encoder from this model file instead of training one (same data, new features)")
	update := fs.String("update", "", "add the flows (captures) to this hybrid model's baseline: novelty profile, evidence rates and threshold, keeping its networks; writes -out")
	words := fs.String("words", "/usr/share/dict/words", "benign words for the server-name check (read only when training; skipped when missing)")
	holdout := fs.Bool("holdout", false, "leave out the held-out fifth of the files (dataset.HeldOut), to evaluate on them later")
	var stream streamLearning
	stream.register(fs)
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if sources := btoi(len(files) > 0) + btoi(live.iface != "") + btoi(stream.on); sources != 1 || *out == "" {
		fs.Usage()
		return fmt.Errorf("%w: train needs -out MODEL and one of -r FILE, -i IFACE or -stream", errUsage)
	}
	cfg.Kind, cfg.Seed = *kind, *seed
	if !flagSet(fs, "mask") {
		// Random fields are noise to the CNN: a hybrid model that imaged
		// them ranked benign resumed sessions (their pre-shared keys)
		// above the lab's decoy hellos at one seed in five.
		cfg.Mask = *kind == model.KindHybrid
	}
	if err := cfg.Validate(); err != nil {
		return flagErrors(err, trainFlagNames)
	}
	if err := live.validate(); err != nil {
		return err
	}
	tableCfg, err := table.config()
	if err != nil {
		return err
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
	for _, f := range files {
		cfg.Sources = append(cfg.Sources, filepath.Base(f))
	}
	var epochs []detector.Progress
	report := newProgress(stderr)
	cfg.Progress = func(p detector.Progress) {
		epochs = append(epochs, p)
		report(p)
	}

	var flows []*flow.Flow
	var loadErr error
	cfg.Capture = map[*flow.Flow]string{}
	if stream.on {
		flows, loadErr = stream.flows(ctx, stderr)
		cfg.Sources = []string{"stream:" + stream.subject}
	} else {
		flows, loadErr = trainingFlows(ctx, files, tableCfg, &live, cfg.Capture, stderr)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if loadErr != nil && len(flows) == 0 {
		return fmt.Errorf("nothing to learn from: %w", loadErr)
	}
	if loadErr != nil {
		fmt.Fprintln(stderr, "train:", termsafe.Line(loadErr.Error())) // train on what could be read
	}
	from := fmt.Sprintf("%d file(s)", len(files))
	if stream.on {
		from = "the stream's flow records"
	}
	if live.iface != "" {
		cfg.Sources = []string{"live:" + live.iface}
		from = "live capture on " + termsafe.Value(live.iface)
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
			fmt.Fprintln(stderr, "train: no default model to take evidence weights from; calibrating them on these captures:", termsafe.Line(err.Error()))
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
	fmt.Fprintf(stderr, "train: %d flows with payload from %s; training %s\n", len(flows), from, cfg.Kind)
	f, err := trainModel(ctx, *encoder, flows, cfg)
	if err != nil && loadErr != nil {
		// Too few flows, say, because the input ended early: say why.
		return fmt.Errorf("%w (the input was cut short: %w)", err, loadErr)
	}
	if err != nil {
		return err
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

// trainFlagNames are the flags of detector.TrainConfig's fields.
var trainFlagNames = map[string]string{
	"Kind": "-model", "Epochs": "-epochs", "Batch": "-batch", "Trees": "-trees",
	"Patience": "-patience", "ValSplit": "-val-split", "AlertRate": "-alert-rate",
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
	fmt.Fprintf(w, "model %s: %s %s (%d bytes of sections)\n", termsafe.Value(path), m.Kind, f.ID, sectionBytes(f))
	sources := make([]string, len(t.Sources))
	for i, s := range t.Sources {
		sources[i] = termsafe.Value(s) // file names are anyone's
	}
	src := strings.Join(sources, ", ")
	if len(sources) > 3 {
		src = fmt.Sprintf("%d files (%s, ...)", len(sources), strings.Join(sources[:3], ", "))
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
	if m.Kind == model.KindHybrid {
		b, err := detector.FileRhythm(f)
		if err == nil {
			fmt.Fprintf(w, "  rhythm: %s\n", rhythmWords(b, detector.FileKnownPeriodic(f)))
		}
		if d, err := detector.FileDrift(f); err == nil && d != nil {
			fmt.Fprintf(w, "  drift: %s\n", driftWords(d))
		}
	}
}

// driftWords says how a public corpus's later captures fared against its
// earlier ones, and what that caps each group's novelty at.
func driftWords(d *novelty.Drift) string {
	var parts []string
	for g := range features.NumGroups {
		if int(g) < len(d.Novel) {
			parts = append(parts, fmt.Sprintf("%s %d (at most %.2f bits)", g, d.Novel[g], d.Cap(g)))
		}
	}
	return fmt.Sprintf("of %d flows of the captures from %s on, new against the earlier ones: %s", d.Flows, d.Split, strings.Join(parts, ", "))
}

// rhythmWords says what a hybrid model weighs a beacon's flow by, and
// how many periodic pairs it knows (their flows weigh nothing).
func rhythmWords(b beacon.Baseline, known int) string {
	s := fmt.Sprintf("%d of %d client-server pairs of %s passed for beacons: a beacon's flow weighs %.2f bits", b.Periodic, b.Pairs, b.Of(), b.Bits())
	if known > 0 {
		s += fmt.Sprintf(", but for the %d periodic pairs of training, which are known", known)
	}
	return s
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

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
