// Command tlsentry is a passive TLS anomaly sensor. Run `tlsentry help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// errUsage marks command-line mistakes: exit status 2 instead of 1.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, "tlsentry:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "tlsentry:", err)
		os.Exit(1)
	}
}

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"flows", "print one JSON record per TCP flow of capture files", runFlows},
		{"extract", "write each flow's prefix as a 32x32 greyscale PNG", runExtract},
		{"train", "learn a model from the flows of capture files", runTrain},
		{"score", "flow records with the detector's score and verdict", runScore},
		{"eval", "how well a model separates benign from anomalous captures", runEval},
		{"heldout", "list which of the given capture files train -holdout leaves out", runHeldout},
		{"check-config", "check a configuration file: strict keys, values, model, allowlist", runCheckConfig},
		{"run", "the sensor daemon: capture live (or replay -r files), score, write alerts", runRun},
		{"model", "model push FILE: publish a model to every sensor of the fleet (NATS)", runModel},
		{"config", "config push FILE | remove: publish (or remove) settings of every sensor of the fleet, or of one (NATS)", runConfigCmd},
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printHelp(stdout)
		if len(args) == 0 {
			return fmt.Errorf("%w: no command given", errUsage)
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	return fmt.Errorf("%w: unknown command %q (see tlsentry help)", errUsage, args[0])
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "tlsentry: passive TLS anomaly sensor\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun tlsentry COMMAND -h for its flags.")
}
