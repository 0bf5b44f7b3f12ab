package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/tlsentry/tlsentry/detector"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/sensor"
)

func runScore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("score", flag.ContinueOnError)
	var in inputFlags
	in.register(fs)
	modelPath := fs.String("model", "", "model file (default: the embedded default model)")
	threshold := fs.Float64("threshold", 0, "alert threshold (default: the model's)")
	outPath := fs.String("w", "", "write the JSON lines to this file instead of stdout")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tlsentry score -r FILE [-r FILE ...] [-model MODEL] [-threshold X] [-w OUT]\n\nThe flow records of `tlsentry flows`, each with an anomaly object: model, score, threshold, alert.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, stderr); err != nil {
		return ignoreHelp(err)
	}
	if len(in.files) == 0 {
		fs.Usage()
		return fmt.Errorf("%w: score needs at least one -r FILE", errUsage)
	}
	m, t, err := loadModel(*modelPath, *threshold)
	if err != nil {
		return err
	}
	w, closeOut, err := output(*outPath, stdout)
	if err != nil {
		return err
	}
	records := sensor.NewRecordWriter(w, true, tlsparse.NewCertCache(certCacheSize),
		&sensor.Scoring{NewScorer: m.NewScorer, Model: m.Name(), Threshold: t})
	readErr := readFlows(ctx, "score", &in, newRecordSink(records, in.workers), stderr)
	writeErr := records.Close()
	closeErr := closeOut()
	return errors.Join(readErr, writeErr, closeErr)
}

// loadModel loads the named model file, or the embedded default, and
// returns it with the threshold to use: threshold if set, else the model's.
func loadModel(path string, threshold float64) (*detector.Model, float64, error) {
	load := detector.Default
	if path != "" {
		load = func() (*detector.Model, error) { return detector.LoadFile(path) }
	}
	m, err := load()
	if err != nil {
		return nil, 0, err
	}
	if threshold == 0 {
		threshold = m.Threshold()
	}
	return m, threshold, nil
}
