package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"

	"github.com/tlsentry/tlsentry/internal/termsafe"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
)

// inputFlags are the flags of every command that reads capture files.
type inputFlags struct {
	files   fileList
	table   tableFlags
	workers int
}

func (in *inputFlags) register(fs *flag.FlagSet) {
	fs.Var(&in.files, "r", "capture `FILE` to read (pcap or pcapng, gzip-compressed or not; - for standard input); repeat for several, read in order")
	fs.IntVar(&in.workers, "workers", 1, fmt.Sprintf("flow table shards, each on its own goroutine (1-%d); above 1 the results are the same but their order may vary", pipeline.MaxShards))
	in.table.register(fs)
}

// check validates the flags before anything is opened.
func (in *inputFlags) check(cmd string) error {
	if len(in.files) == 0 {
		return fmt.Errorf("%w: %s needs at least one -r FILE", errUsage, cmd)
	}
	if err := pipeline.ValidateShards(in.workers); err != nil {
		return flagErrors(err, map[string]string{"Shards": "-workers"})
	}
	_, err := in.table.config()
	return err
}

// readFiles runs the capture files through the pipeline: cfg says what
// happens to the flows (parsing, scoring, the sink); the input flags set
// the tables. It prints the summary to stderr and returns the input's
// problems (reported as they happen too, prefixed with cmd) and the
// sink's error.
func readFiles(ctx context.Context, cmd string, in *inputFlags, cfg pipeline.Config, stderr io.Writer) error {
	if err := in.check(cmd); err != nil {
		return err
	}
	table, _ := in.table.config()
	cfg.Shards, cfg.Table, cfg.Ordered = in.workers, table, true
	cfg.Tuning = fileTuning()
	p, err := pipeline.New(cfg)
	if err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	src := &pipeline.FileInput{Paths: in.files, Report: func(err error) { fmt.Fprintf(stderr, "tlsentry %s: %s\n", cmd, termsafe.Line(err.Error())) }}
	runErr := p.Run(ctx, src)
	if ctx.Err() != nil {
		runErr = fmt.Errorf("interrupted: the flows read so far are handed on: %w", ctx.Err())
	}
	fst, pst := src.Stats(), p.Stats()
	printSummary(stderr, &fst, pst.Tables, p.Shards().Tables().Len())
	return runErr
}

// fileTuning is the pipeline's tuning for capture files: workers encode
// beside the packet path, a few batches each in hand.
func fileTuning() pipeline.Tuning {
	n := runtime.GOMAXPROCS(0)
	return pipeline.Tuning{BatchSize: fileBatch, BatchTimeout: pipeline.MaxBatchTimeout, QueueSize: 2 * n * fileBatch, Workers: n}
}

// fileBatch is how many flows a worker takes at a time from capture files.
const fileBatch = 256
