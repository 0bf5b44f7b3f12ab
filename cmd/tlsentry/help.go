package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// help is what a command says of itself. Its -h, `tlsentry help COMMAND`
// and the manual page (docs/tlsentry.1) all print it with the command's
// flags, so the three never disagree.
type help struct {
	usage []string // how to call it, one line per form, starting "tlsentry "
	about string   // what it does: paragraphs separated by blank lines
}

// write prints h and the flags of fs, as -h shows them.
func (h help) write(w io.Writer, fs *flag.FlagSet) {
	for i, u := range h.usage {
		prefix := "usage: "
		if i > 0 {
			prefix = "       "
		}
		fmt.Fprintln(w, prefix+u)
	}
	fmt.Fprintf(w, "\n%s\n", h.about)
	if hasFlags(fs) {
		fmt.Fprintln(w, "\nFlags:")
		out := fs.Output()
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(out)
	}
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// newFlagSet returns the flag set of a command. A usage error prints h to
// the set's output (stderr, given by parseFlags); -h is returned to the
// caller as a *helpRequest, which prints h to stdout.
func newFlagSet(name string, h help) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() { h.write(fs.Output(), fs) }
	return fs
}

// helpRequest is what a command returns when asked for its help (-h,
// -help, or `tlsentry help COMMAND`): the dispatcher prints the command's
// help with these flags and exits 0. It is an error only so that the
// command stops before doing anything else.
type helpRequest struct{ flags *flag.FlagSet }

func (*helpRequest) Error() string { return "help requested" }

// parseFlags parses args, which must all be flags. Usage errors print the
// command's help to stderr and wrap errUsage.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	if err := parseFlagsAndArgs(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return nil
}

// parseFlagsAndArgs parses args, leaving the arguments after the flags in
// fs.Args().
func parseFlagsAndArgs(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	usage := fs.Usage
	fs.Usage = func() {} // the flag package calls it on -h too: printed below instead
	err := fs.Parse(args)
	fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		return &helpRequest{flags: fs}
	case err != nil:
		usage()
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	return nil
}

// commandHelp runs c with -h to get its flag set (every command parses its
// flags before doing anything), for `help COMMAND` and the manual page.
func commandHelp(c command) (*flag.FlagSet, error) {
	err := c.run(context.Background(), []string{"-h"}, io.Discard, io.Discard)
	var hr *helpRequest
	if !errors.As(err, &hr) {
		return nil, fmt.Errorf("%s -h did not ask for its help: %w", c.name, err)
	}
	return hr.flags, nil
}

// mainHelp is the help of tlsentry itself.
var mainHelp = help{
	usage: []string{"tlsentry COMMAND [flags]", "tlsentry help [COMMAND]", "tlsentry --version"},
	about: `tlsentry is a passive network sensor for TLS. It sits on a span or mirror
port (or reads capture files), picks TCP connections out of the traffic,
keeps the first 1024 payload bytes of each flow and its TLS handshake, and
flags the anomalous ones without decrypting anything. Alerts are JSON lines
with Suricata eve.json field names.`,
}

// mainFiles are the files an installed tlsentry uses.
var mainFiles = []struct{ path, what string }{
	{defaultConfigPath, "the configuration run and check-config read (the shipped copy comments every key)"},
	{"/var/log/tlsentry/alerts.json", "the alerts, one JSON object per line (output.alert_log); rotated by size by the daemon"},
	{"/etc/logrotate.d/tlsentry", "rotation by logrotate instead: the daemon reopens its logs on SIGUSR1"},
	{"/etc/systemd/system/tlsentry.service", "the systemd unit: a dynamic user with only the capture capabilities"},
}

// mainExit says what the exit status means.
const mainExit = `0 when the command did its work (and after -h), 1 on errors (the input's
problems included), 2 on usage errors (unknown command or flag, missing
argument), 78 (EX_CONFIG) when run cannot start for its configuration:
the file, or the model, threshold or lists it names (the systemd unit
does not restart on it).`

// printHelp prints the main help: what tlsentry is, its commands, files
// and exit status.
func printHelp(w io.Writer) {
	for i, u := range mainHelp.usage {
		prefix := "usage: "
		if i > 0 {
			prefix = "       "
		}
		fmt.Fprintln(w, prefix+u)
	}
	fmt.Fprintf(w, "\n%s\n\nCommands:\n", mainHelp.about)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun tlsentry help COMMAND (or tlsentry COMMAND -h) for a command's flags.")
	fmt.Fprintln(w, "\nFiles:")
	for _, f := range mainFiles {
		fmt.Fprintf(w, "  %s\n      %s\n", f.path, f.what)
	}
	fmt.Fprintf(w, "\nExit status:\n%s\n", indent(mainExit, "  "))
}

func indent(text, prefix string) string {
	return prefix + strings.ReplaceAll(text, "\n", "\n"+prefix)
}

var helpHelp = help{
	usage: []string{"tlsentry help [COMMAND]", "tlsentry help -man"},
	about: `Prints what tlsentry is and its commands, or with COMMAND that command's
help and flags (as tlsentry COMMAND -h does). -man prints the manual page
(roff) made from these same texts: docs/tlsentry.1, installed by make install.`,
}

// runHelpCommand is `tlsentry help`.
func runHelpCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("help", helpHelp)
	man := fs.Bool("man", false, "print the manual page (roff) instead")
	if err := parseFlagsAndArgs(fs, args, stderr); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 1:
		return fmt.Errorf("%w: help takes one COMMAND", errUsage)
	case *man && fs.NArg() > 0:
		return fmt.Errorf("%w: help -man takes no COMMAND: the page covers them all", errUsage)
	case *man:
		return writeManPage(stdout)
	case fs.NArg() == 0:
		printHelp(stdout)
		return nil
	}
	c, ok := commandNamed(fs.Arg(0))
	if !ok {
		return fmt.Errorf("%w: unknown command %q (see tlsentry help)", errUsage, fs.Arg(0))
	}
	if c.name == "help" {
		return &helpRequest{flags: fs}
	}
	return c.run(ctx, []string{"-h"}, stdout, stderr)
}
