package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/tlsentry/tlsentry/detector"
	"github.com/tlsentry/tlsentry/sensor/allowlist"
	"github.com/tlsentry/tlsentry/sensor/blocklist"
	"github.com/tlsentry/tlsentry/sensor/config"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
	"github.com/tlsentry/tlsentry/sensor/ratelimit"
	"github.com/tlsentry/tlsentry/sensor/verdict"
)

var scoreHelp = help{
	usage: []string{"tlsentry score -r FILE [-r FILE ...] [-config FILE] [-model MODEL] [-threshold X] [-blocklist [KIND=]FILE ...] [-w OUT] [-tls-log FILE]"},
	about: `The records of tlsentry flows, each with the detector's verdict in its
tlsentry object (model, score, threshold, alert), and before an alerting
flow its alert records, one per finding, as run writes them. Verdicts are
given as run gives them: the threshold and the block lists, then the
allowlist (and rate limits) of -config. A flow on a block list (-config's
blocklist files and each -blocklist file) alerts whatever its score.
Without -model, the configuration's model, else the default model built
into the binary. -tls-log writes a tls record for every TLS session (TCP
and QUIC), alerting or not, as run's output.tls_log does. The files'
flows also go, as one stream, to the beacon tracker (the configuration's
beacon section, on by default): its periodic-connections alerts follow
the flows that completed them. Their hellos go to the TLS scan tracker
(the scan section, on by default): a scan's flows weigh its fact.`,
}

func runScore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("score", scoreHelp)
	var in inputFlags
	in.register(fs)
	modelPath := fs.String("model", "", "model file (default: the configuration's, else the embedded default model)")
	threshold := fs.Float64("threshold", 0, "alert threshold, more than 0 and at most 1000 (default: the configuration's, else the model's)")
	configPath := fs.String("config", "", "take the model, threshold and allowlist from this daemon configuration `FILE`, as run does")
	outPath := fs.String("w", "", "write the JSON lines to this file instead of stdout")
	tlsPath := fs.String("tls-log", "", "also write one tls record (event_type tls) per TLS session to this `FILE`")
	var blocklists fileList
	fs.Var(&blocklists, "blocklist", "block list `[KIND=]FILE` (KIND ja3, ja4, cert_sha1 or sni; without it the file's header or first value says); repeat for several")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file (for performance work)")
	allocProfile := fs.String("allocprofile", "", "write an allocation profile to this file at the end (for performance work)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if len(in.files) == 0 {
		fs.Usage()
	}
	if err := in.check("score"); err != nil {
		return err
	}
	if *tlsPath != "" && stdoutPath(*tlsPath) == stdoutPath(*outPath) {
		return fmt.Errorf("%w: -tls-log: %q is also where -w writes the records", errUsage, *tlsPath)
	}
	m, pol, daemonCfg, err := scoringPolicy(*configPath, *modelPath, *threshold, flagSet(fs, "threshold"))
	if err != nil {
		return err
	}
	if err := addBlocklists(pol, blocklists); err != nil {
		return err
	}
	if *cpuProfile != "" {
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	var limiter *ratelimit.Limiter
	if *configPath != "" { // the configuration's rate limits, as run applies them
		if limiter, err = ratelimit.New(daemonCfg.Alerts); err != nil {
			return err
		}
	}
	w, closeOut, err := output(*outPath, stdout)
	if err != nil {
		return err
	}
	sink := pipeline.NewRecordSink(w, m.Name())
	closeTLS := func() error { return nil }
	if *tlsPath != "" {
		tw, closeT, err := output(*tlsPath, stdout)
		if err != nil {
			closeOut()
			return err
		}
		sink.SetTLSOutput(tw)
		closeTLS = closeT
	}
	// The beacon tracker takes the files' flows as one stream, in the
	// order the table hands them out (one table: the same every run).
	beacons, err := newBeaconTracker(daemonCfg)
	if err != nil {
		closeOut()
		closeTLS()
		return err
	}
	scans, err := newScanTracker(daemonCfg)
	if err != nil {
		closeOut()
		closeTLS()
		return err
	}
	cfg := pipeline.Config{ParseTLS: true, EmptyFlows: true, NewScorer: m.NewScorer, Model: m.Name(), Policy: pol,
		Limiter: limiter, Beacons: beacons, Scans: scans, Sink: sink}
	readErr := readFiles(ctx, "score", &in, cfg, stderr)
	closeErr := closeOut()
	var profErr error
	if *allocProfile != "" {
		profErr = writeAllocProfile(*allocProfile)
	}
	return errors.Join(readErr, closeErr, closeTLS(), profErr)
}

// stdoutPath is an output path with stdout ("" or "-") as "-".
func stdoutPath(p string) string {
	if p == "" {
		return "-"
	}
	return p
}

// flagSet reports whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// scoringPolicy loads the model and builds the verdict policy of an
// offline command: from the daemon's configuration file when one is
// given (its model, threshold or alert rate, allowlist), with the flags
// taking precedence; else the model file or the embedded default, at its
// own threshold.
func scoringPolicy(configPath, modelPath string, threshold float64, thresholdSet bool) (*detector.Model, *verdict.Policy, *config.Config, error) {
	if thresholdSet {
		if err := verdict.CheckThreshold(threshold); err != nil {
			return nil, nil, nil, fmt.Errorf("%w: -threshold: %w", errUsage, err)
		}
	}
	cfg := config.Default()
	if configPath != "" {
		var err error
		if cfg, err = config.Load(configPath); err != nil {
			return nil, nil, nil, err
		}
	}
	if modelPath != "" {
		cfg.Detector.Model = modelPath
	}
	m, err := loadConfiguredModel(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	pol := &verdict.Policy{Threshold: threshold}
	if !thresholdSet {
		if pol.Threshold, _, err = cfg.ResolveThreshold(m.File.Meta); err != nil {
			return nil, nil, nil, err
		}
	}
	if pol.Allow, err = allowlist.New(cfg.Allowlist); err != nil {
		return nil, nil, nil, err
	}
	if pol.Block, err = loadBlocklists(cfg); err != nil {
		return nil, nil, nil, err
	}
	return m, pol, cfg, nil
}

// addBlocklists reads the -blocklist files ([KIND=]FILE) into the policy's
// block lists, all or nothing.
func addBlocklists(pol *verdict.Policy, files []string) error {
	var errs []error
	for _, arg := range files {
		var kind blocklist.Kind
		path := arg
		if k, rest, ok := strings.Cut(arg, "="); ok {
			if parsed, err := blocklist.ParseKind(k); err == nil {
				kind, path = parsed, rest
			}
		}
		kind, entries, err := blocklist.ReadFile(kind, path)
		if err != nil {
			errs = append(errs, fmt.Errorf("-blocklist: %w", err))
			continue
		}
		if pol.Block == nil {
			pol.Block = &blocklist.Lists{}
		}
		pol.Block.Add(kind, entries)
	}
	return errors.Join(errs...)
}

// loadModel loads the named model file, or the embedded default, and
// returns it with the threshold to use: threshold if not 0 (the caller
// checked it), else the model's.
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
