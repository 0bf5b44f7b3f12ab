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
	"github.com/tlsentry/tlsentry/sensor/config"
)

// errInvalidConfig is returned once check-config has printed the
// problems: exit status 1, with a one-line summary.
var errInvalidConfig = errors.New("invalid configuration")

// runCheckConfig validates a configuration file as the daemon would load
// it: strict YAML, every value in range, capture interfaces (unless
// -offline), the model file and the threshold it gives, the allowlist.
func runCheckConfig(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("check-config", flag.ContinueOnError)
	offline := fs.Bool("offline", false, "the config is for replaying capture files: capture.interfaces may be empty")
	noModel := fs.Bool("no-model", false, "do not load the model (when checking on a host that does not have it)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tlsentry check-config [-offline] [-no-model] FILE\n\nCheck a configuration file: exit 0 and print FILE: ok, or print each problem with its line and exit 1.")
		fs.PrintDefaults()
	}
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: check-config needs one FILE", errUsage)
	}
	path := fs.Arg(0)

	c, err := config.Load(path)
	if err == nil && !*offline {
		err = c.ValidateLive()
	}
	if err != nil {
		return reportProblems(stderr, path, err)
	}
	modelLine := "not loaded (-no-model)"
	if !*noModel {
		if modelLine, err = checkModel(c); err != nil {
			return reportProblems(stderr, path, err)
		}
	}
	allow, err := allowlist.New(c.Allowlist)
	if err != nil {
		return reportProblems(stderr, path, err)
	}
	printConfigSummary(stdout, path, c, modelLine, allow.Len())
	return nil
}

// checkModel loads the configured model (or the embedded default) and
// resolves the threshold against it, as the daemon does at start.
func checkModel(c *config.Config) (string, error) {
	load, name := detector.Default, "embedded default"
	if c.Detector.Model != "" {
		load = func() (*detector.Model, error) { return detector.LoadFile(c.Detector.Model) }
		name = c.Detector.Model
	}
	m, err := load()
	if err != nil {
		return "", c.Errorf("detector.model", "%v", err)
	}
	threshold, from, err := c.ResolveThreshold(m.File.Meta)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s (%s), threshold %.4g from %s", name, m.Name(), threshold, from), nil
}

// reportProblems prints each problem of err on its own line and returns
// the summary error.
func reportProblems(w io.Writer, path string, err error) error {
	problems := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		problems = joined.Unwrap()
	}
	for _, p := range problems {
		fmt.Fprintln(w, p)
	}
	noun := "problems"
	if len(problems) == 1 {
		noun = "problem"
	}
	return fmt.Errorf("%s: %w (%d %s)", path, errInvalidConfig, len(problems), noun)
}

func printConfigSummary(w io.Writer, path string, c *config.Config, modelLine string, allowEntries int) {
	fmt.Fprintf(w, "%s: ok\n", path)
	ifaces := strings.Join(c.Capture.Interfaces, ",")
	if ifaces == "" {
		ifaces = "none (capture files only)"
	}
	bpf := "off"
	if c.Capture.BPF {
		bpf = "on"
	}
	fmt.Fprintf(w, "  sensor:    %s\n", c.Sensor.Name)
	fmt.Fprintf(w, "  capture:   interfaces %s, ports %v, %d workers, eBPF filter %s\n", ifaces, c.Capture.Ports, c.Capture.Workers, bpf)
	fmt.Fprintf(w, "  model:     %s\n", modelLine)
	fmt.Fprintf(w, "  allowlist: %d entries\n", allowEntries)
	alerts := c.Output.AlertLog
	if c.Output.Stdout {
		alerts = strings.TrimPrefix(alerts+" and stdout", " and ")
	}
	metrics := c.Metrics.Listen
	if metrics == "" {
		metrics = "off"
	}
	fmt.Fprintf(w, "  output:    alerts to %s, metrics %s\n", alerts, metrics)
}
