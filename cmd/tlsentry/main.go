package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/tlsentry/tlsentry/internal/termsafe"
)

// errUsage marks command-line mistakes: exit status 2 instead of 1.
var errUsage = errors.New("usage")

// exitConfig is the exit status of a run that cannot start for its
// configuration: EX_CONFIG of sysexits.h. The systemd unit does not
// restart on it (RestartPreventExitStatus=): a bad file fails the same
// way every RestartSec until someone fixes it.
const exitConfig = 78

// configError is a configuration run cannot start with: the file, the
// model it names, the threshold or the lists (exit status exitConfig).
// Its message is the wrapped error's.
type configError struct{ err error }

func (e *configError) Error() string { return e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

// exitStatus is the exit status for what a command returned: 0, 1, 2
// for usage errors, exitConfig for a configuration run refuses.
func exitStatus(err error) int {
	var ce *configError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.As(err, &ce):
		return exitConfig
	default:
		return 1
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal asks for an orderly stop; a second one kills, as
	// the signal's default does (a stop that waits on a blocked output).
	go func() {
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		printError(os.Stderr, err)
		os.Exit(exitStatus(err))
	}
}

// printError prints err for a person: each part of a joined error on a
// line of its own, with what a terminal would act on escaped (errors
// hold file names, and values from configuration and model files).
func printError(w io.Writer, err error) {
	if ce, ok := err.(*configError); ok {
		err = ce.err // its joined parts, each on a line
	}
	parts := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		parts = j.Unwrap()
	}
	for _, p := range parts {
		fmt.Fprintln(w, "tlsentry:", termsafe.Line(p.Error()))
	}
}

type command struct {
	name, summary string
	help          help
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"flows", "print one JSON record per TCP or QUIC flow of capture files", flowsHelp, runFlows},
		{"extract", "write each flow's prefix as a 32x32 greyscale PNG", extractHelp, runExtract},
		{"train", "learn a model from the flows of capture files or live traffic", trainHelp, runTrain},
		{"score", "flow records with the detector's score and verdict", scoreHelp, runScore},
		{"eval", "how well a model separates benign from anomalous captures", evalHelp, runEval},
		{"heldout", "list which of the given capture files train -holdout leaves out", heldoutHelp, runHeldout},
		{"check-config", "check a configuration file: strict keys, values, model, allowlist", checkConfigHelp, runCheckConfig},
		{"run", "the sensor daemon: capture live (or replay -r files), score, write alerts", runCommandHelp, runRun},
		{"model", "model show [FILE]: what a model weighs; model push FILE: publish it to the fleet (NATS)", modelHelp, runModel},
		{"config", "config push FILE | remove: publish or remove settings of the fleet's sensors (NATS)", configHelp, runConfigCmd},
		{"version", "print the version and VCS revision of this build", versionHelp, runVersion},
		{"help", "print this help, a command's (help COMMAND) or the manual page (help -man)", helpHelp, runHelpCommand},
	}
}

func commandNamed(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		printHelp(stderr)
		return fmt.Errorf("%w: no command given", errUsage)
	}
	switch args[0] {
	case "-h", "-help", "--help":
		args = []string{"help"}
	case "-version", "--version":
		args = []string{"version"}
	}
	c, ok := commandNamed(args[0])
	if !ok {
		return fmt.Errorf("%w: unknown command %q (see tlsentry help)", errUsage, args[0])
	}
	return printRequestedHelp(c.run(ctx, args[1:], stdout, stderr), stdout)
}

// printRequestedHelp prints the help a command was asked for (err is a
// *helpRequest) and returns nil; other errors are returned as they are.
func printRequestedHelp(err error, stdout io.Writer) error {
	var hr *helpRequest
	if !errors.As(err, &hr) {
		return err
	}
	c, ok := commandNamed(hr.flags.Name())
	if !ok {
		return fmt.Errorf("help for an unknown command %q", hr.flags.Name())
	}
	c.help.write(stdout, hr.flags)
	return nil
}
