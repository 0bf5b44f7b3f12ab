package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/tlsentry/tlsentry/detector"
	"github.com/tlsentry/tlsentry/detector/eval"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/termsafe"
	"github.com/tlsentry/tlsentry/sensor/config"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
	"github.com/tlsentry/tlsentry/sensor/verdict"
)

var evalHelp = help{
	usage: []string{"tlsentry eval -benign FILE [...] -anomalous FILE [...] [-model MODEL] [-plot OUT.png]"},
	about: `How well the model's scores separate two sets of flows (flows with payload
only): ROC AUC, PR AUC, recall at 1% and 0.1% false-positive rate, and
precision, recall and false-positive rate at the model's threshold (or
-threshold). Flows are scored as score scores them: with the context
earlier flows of the same captures give (a pair's rhythm, a resumed
session's server, a TLS scan). -plot draws both score histograms with the threshold, and the
ROC curve.`,
}

func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", evalHelp)
	var benign, anomalous fileList
	fs.Var(&benign, "benign", "capture `FILE` of benign traffic (repeat)")
	fs.Var(&anomalous, "anomalous", "capture `FILE` of anomalous traffic (repeat)")
	modelPath := fs.String("model", "", "model file (default: the embedded default model)")
	threshold := fs.Float64("threshold", 0, "threshold to report precision and recall at, more than 0 and at most 1000 (default: the model's)")
	plotPath := fs.String("plot", "", "write score histograms and the ROC curve to this PNG")
	tlsOnly := fs.Bool("tls-only", false, "keep only the benign flows that spoke TLS (what a sensor on TLS ports sees of benign traffic); anomalous sets are scored whole")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if len(benign) == 0 || len(anomalous) == 0 {
		fs.Usage()
		return fmt.Errorf("%w: eval needs -benign and -anomalous captures", errUsage)
	}
	if flagSet(fs, "threshold") {
		if err := verdict.CheckThreshold(*threshold); err != nil {
			return fmt.Errorf("%w: -threshold: %w", errUsage, err)
		}
	}
	m, t, err := loadModel(*modelPath, *threshold)
	if err != nil {
		return err
	}
	// The flows are scored as score and run score them: one table in
	// order, with the context earlier flows give (a pair's rhythm, a
	// resumed session's server, a scan), so that the figures are those
	// of the alerts a sensor gives.
	daemonCfg := config.Default()
	var problems []error
	score := func(files []string, onlyTLS bool) ([]float64, error) {
		var keep func(*tlsparse.Handshake) bool
		if onlyTLS {
			keep = (*tlsparse.Handshake).SpokeTLS
		}
		out, err := evalScores(ctx, m, daemonCfg, files, keep, stderr)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			problems = append(problems, err)
		}
		return out, nil
	}
	b, err := score(benign, *tlsOnly)
	if err != nil {
		return err
	}
	a, err := score(anomalous, false)
	if err != nil {
		return err
	}
	rep, err := eval.Evaluate(b, a, t, 0.01, 0.001)
	if err != nil {
		return err // the eval package says "eval:"
	}
	printEval(stdout, m, rep)
	if *plotPath != "" {
		if err := writePlot(*plotPath, m, b, a, t); err != nil {
			return err
		}
	}
	return errors.Join(problems...)
}

func printEval(w io.Writer, m *detector.Model, r *eval.Report) {
	fmt.Fprintf(w, "model %s\n", m.Name())
	fmt.Fprintf(w, "flows: %d benign, %d anomalous\n", r.Benign, r.Anomalous)
	fmt.Fprintf(w, "ROC AUC %.4f, PR AUC %.4f\n", r.ROCAUC, r.PRAUC)
	fmt.Fprintf(w, "recall at 1%% FPR %.4f, at 0.1%% FPR %.4f\n", r.RecallAtFPR[0.01], r.RecallAtFPR[0.001])
	prec := "undefined (no alerts)"
	if !math.IsNaN(r.Precision) {
		prec = fmt.Sprintf("%.4f", r.Precision)
	}
	fmt.Fprintf(w, "at threshold %.5f: %d true alerts, %d false alerts, precision %s, recall %.4f, FPR %.4f\n",
		r.Threshold, r.TruePos, r.FalsePos, prec, r.Recall, r.FalsePositiveRate)
}

func writePlot(path string, m *detector.Model, benign, anomalous []float64, t float64) error {
	fh, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if err := eval.Plot(fh, m.Name(), benign, anomalous, t); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

// evalScores scores the flows with payload of capture files through the
// pipeline (one ordered table, the beacon and scan trackers of cfg, the
// resumed-session memory), as score does; keep, when set, says which
// flows count, by their handshakes. Input problems are reported on
// stderr as they come and returned.
func evalScores(ctx context.Context, m *detector.Model, cfg *config.Config, files []string, keep func(*tlsparse.Handshake) bool, stderr io.Writer) ([]float64, error) {
	beacons, err := newBeaconTracker(cfg)
	if err != nil {
		return nil, err
	}
	scans, err := newScanTracker(cfg)
	if err != nil {
		return nil, err
	}
	sink := &scoreCollector{keep: keep}
	_, _, err = pipeFiles(ctx, pipeline.Config{Shards: 1, Table: flow.DefaultConfig(),
		ParseTLS: true, NewScorer: m.NewScorer, Model: m.Name(), Beacons: beacons, Scans: scans, Sink: sink},
		files, func(err error) { fmt.Fprintln(stderr, "eval:", termsafe.Line(err.Error())) })
	return sink.scores, err
}

// scoreCollector keeps the scores of the scored flows keep accepts, in
// commit order.
type scoreCollector struct {
	keep   func(*tlsparse.Handshake) bool
	scores []float64
}

// Encode marks in b.Out which of the batch's flows count (1) or not (0),
// read from the handshakes the pipeline parsed for the scorer: it gives
// them back before Commit.
func (c *scoreCollector) Encode(b *pipeline.Batch) error {
	b.Out = b.Out[:0]
	for i := range b.Results {
		kept := byte(1)
		if c.keep != nil && !c.keep(b.Handshake(i)) {
			kept = 0
		}
		b.Out = append(b.Out, kept)
	}
	return nil
}

func (c *scoreCollector) Commit(b *pipeline.Batch) error {
	for i := range b.Results {
		if r := &b.Results[i]; r.Scored && b.Out[i] == 1 {
			c.scores = append(c.scores, r.Verdict.Score)
		}
	}
	return nil
}
