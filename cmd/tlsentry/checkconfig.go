package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tlsentry/tlsentry/detector"
	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/internal/termsafe"
	"github.com/tlsentry/tlsentry/sensor/allowlist"
	"github.com/tlsentry/tlsentry/sensor/blocklist"
	"github.com/tlsentry/tlsentry/sensor/config"
	"github.com/tlsentry/tlsentry/sensor/verdict"
)

// errInvalidConfig is returned once check-config has printed the
// problems: exit status 1, with a one-line summary.
var errInvalidConfig = errors.New("invalid configuration")

var checkConfigHelp = help{
	usage: []string{"tlsentry check-config [-offline] [-no-model] [FILE]"},
	about: `Checks a configuration file (default ` + defaultConfigPath + `) as run would
load it: strict keys, every value in range, the capture interfaces (unless
-offline), the model and the threshold it gives, the allowlist, and the log
files run opens before capture. It prints FILE: ok and a summary (the
model's threshold and score scale included) and exits 0, or prints each
problem with its line and exits 1. A capture interface that does not
exist here or is down gets a warning, not a problem: run starts and
captures on it once it is there and up.`,
}

// runCheckConfig validates a configuration file as the daemon would load
// it (runPreflight, as run does): strict YAML, every value in range,
// capture interfaces (unless -offline), the model file and the threshold
// it gives, the allowlist; then what run opens before capture: the log
// files. Missing or down interfaces are warned about (run waits for them).
func runCheckConfig(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("check-config", checkConfigHelp)
	offline := fs.Bool("offline", false, "the config is for replaying capture files: capture.interfaces may be empty")
	noModel := fs.Bool("no-model", false, "do not load the model (when checking on a host that does not have it)")
	if err := parseFlagsAndArgs(fs, args, stderr); err != nil {
		return err
	}
	path := defaultConfigPath
	switch fs.NArg() {
	case 0:
	case 1:
		path = fs.Arg(0)
	default:
		fs.Usage()
		return fmt.Errorf("%w: check-config takes one FILE", errUsage)
	}
	live := !*offline

	pf := &preflight{}
	modelLine := "not loaded (-no-model)"
	var err error
	if *noModel {
		if pf.cfg, err = loadConfig(path, live); err == nil {
			if pf.pol.Allow, err = allowlist.New(pf.cfg.Allowlist); err == nil {
				pf.pol.Block, err = loadBlocklists(pf.cfg)
			}
		}
	} else if pf, err = runPreflight(path, live); err == nil {
		name := "embedded default"
		if pf.cfg.Detector.Model != "" {
			name = termsafe.Value(pf.cfg.Detector.Model)
		}
		modelLine = fmt.Sprintf("%s (%s), threshold %.4g from %s (%s)", name, pf.model.Name(), pf.pol.Threshold, pf.from, scoreScale(pf.model))
	}
	if err == nil {
		err = pf.checkOutputs()
	}
	if err != nil {
		return reportProblems(stderr, path, err)
	}
	if live {
		for _, w := range pf.interfaceWarnings() {
			fmt.Fprintln(stderr, w)
		}
	}
	printConfigSummary(stdout, path, pf.cfg, modelLine, pf.pol)
	return nil
}

// scoreScale says in words what the model's scores are.
func scoreScale(m *detector.Model) string {
	switch m.File.Meta.Kind {
	case model.KindCNNIForest:
		return "isolation forest scores, 0 to 1"
	case model.KindVAE:
		return "reconstruction distances"
	}
	return "forest score plus novelty bits"
}

// reportProblems prints each problem of err on its own line and returns
// the summary error.
func reportProblems(w io.Writer, path string, err error) error {
	problems := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		problems = joined.Unwrap()
	}
	for _, p := range problems {
		fmt.Fprintln(w, termsafe.Line(p.Error())) // they quote the file's values
	}
	noun := "problems"
	if len(problems) == 1 {
		noun = "problem"
	}
	return fmt.Errorf("%s: %w (%d %s)", termsafe.Value(path), errInvalidConfig, len(problems), noun)
}

// printConfigSummary says what the file sets; its strings are escaped
// (a file is anyone's).
func printConfigSummary(w io.Writer, path string, c *config.Config, modelLine string, pol verdict.Policy) {
	fmt.Fprintf(w, "%s: ok\n", termsafe.Value(path))
	var names []string
	for _, n := range c.Capture.Interfaces {
		names = append(names, termsafe.Value(n))
	}
	ifaces := strings.Join(names, ",")
	if ifaces == "" {
		ifaces = "none (capture files only)"
	}
	bpf := "off"
	if c.Capture.BPF {
		bpf = "on"
	}
	fmt.Fprintf(w, "  sensor:    %s\n", termsafe.Value(c.Sensor.Name))
	fmt.Fprintf(w, "  capture:   interfaces %s, ports %v, %d workers, eBPF filter %s\n", ifaces, c.Capture.Ports, c.Capture.Workers, bpf)
	fmt.Fprintf(w, "  model:     %s\n", modelLine)
	fmt.Fprintf(w, "  allowlist: %d entries\n", pol.Allow.Len())
	fmt.Fprintf(w, "  blocklist: %s\n", blocklistSummary(pol.Block))
	alerts := termsafe.Value(c.Output.AlertLog)
	if c.Output.Stdout {
		alerts = strings.TrimPrefix(alerts+" and stdout", " and ")
	}
	metrics := termsafe.Value(c.Metrics.Listen)
	if metrics == "" {
		metrics = "off"
	}
	fmt.Fprintf(w, "  output:    alerts to %s, %s, %s, %s, metrics %s\n", alerts,
		goesTo("flows", c.Output.FlowLog), goesTo("tls records", c.Output.TLSLog), goesTo("alert pcaps", c.Output.AlertPcapDir), metrics)
}

// goesTo says where an optional output goes: "flows to PATH", or "flows
// off" when its path is empty.
func goesTo(what, path string) string {
	if path == "" {
		return what + " off"
	}
	return what + " to " + termsafe.Value(path)
}

// blocklistSummary counts the block lists' entries by kind.
func blocklistSummary(l *blocklist.Lists) string {
	if l.Total() == 0 {
		return "none"
	}
	var parts []string
	for _, k := range blocklist.Kinds {
		parts = append(parts, fmt.Sprintf("%d %s", l.Len(k), k))
	}
	return strings.Join(parts, ", ")
}
