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
	table, _ := in.table.config() // in.check took its error
	cfg.Shards, cfg.Table = in.workers, table
	p, src, runErr := pipeFiles(ctx, cfg, in.files, func(err error) { fmt.Fprintf(stderr, "tlsentry %s: %s\n", cmd, termsafe.Line(err.Error())) })
	if p == nil {
		return fmt.Errorf("%w: %w", errUsage, runErr)
	}
	if ctx.Err() != nil {
		runErr = fmt.Errorf("interrupted: the flows read so far are handed on: %w", ctx.Err())
	}
	fst, pst := src.Stats(), p.Stats()
	printSummary(stderr, &fst, pst.Tables, p.Shards().Tables().Len())
	return runErr
}

// pipeFiles runs capture files through an ordered pipeline of cfg (its
// tables and what happens to the flows set by the caller), telling report
// each problem of the input as it comes; workers encode beside the packet
// path, a few batches each in hand. The pipeline is nil when cfg is
// refused.
func pipeFiles(ctx context.Context, cfg pipeline.Config, files []string, report func(error)) (*pipeline.Pipeline, *pipeline.FileInput, error) {
	n := runtime.GOMAXPROCS(0)
	cfg.Ordered = true
	cfg.Tuning = pipeline.Tuning{BatchSize: fileBatch, BatchTimeout: pipeline.MaxBatchTimeout, QueueSize: 2 * n * fileBatch, Workers: n}
	p, err := pipeline.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	src := &pipeline.FileInput{Paths: files, Report: report}
	return p, src, p.Run(ctx, src)
}

// fileBatch is how many flows a worker takes at a time from capture files.
const fileBatch = 256
