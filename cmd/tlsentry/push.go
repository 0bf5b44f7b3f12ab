package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/tlsentry/tlsentry/detector"
	"github.com/tlsentry/tlsentry/sensor/config"
	"github.com/tlsentry/tlsentry/sensor/fleet"
	"github.com/tlsentry/tlsentry/sensor/natsout"
)

// natsFlags are the connection flags of the commands that talk to the
// fleet's NATS servers: the servers, credentials and fleet of a sensor's
// configuration file, or given on the command line.
type natsFlags struct {
	config, server, fleet string
	timeout               time.Duration
}

func (n *natsFlags) register(fs *flag.FlagSet) {
	n.registerConn(fs)
	fs.StringVar(&n.fleet, "fleet", "", "fleet name, instead of the configuration's fleet.name")
}

// registerConn registers the connection flags alone.
func (n *natsFlags) registerConn(fs *flag.FlagSet) {
	fs.StringVar(&n.config, "config", defaultConfigPath, "configuration file whose output.nats (servers, credentials) and fleet section to use (optional with -server)")
	fs.StringVar(&n.server, "server", "", "NATS server URL, instead of the configuration's output.nats.servers")
	fs.DurationVar(&n.timeout, "timeout", 10*time.Second, "give up when the servers do not answer within this time")
}

// load is the NATS output and fleet settings the flags give.
func (n *natsFlags) load() (natsout.Config, fleet.Config, error) {
	cfg, err := config.Load(n.config)
	switch {
	case err == nil:
	case n.server != "" && errors.Is(err, fs.ErrNotExist):
		cfg = config.Default()
	default:
		return natsout.Config{}, fleet.Config{}, err
	}
	nc, fc := cfg.Output.NATS, cfg.Fleet
	if n.server != "" {
		nc.Servers = []string{n.server}
	}
	if n.fleet != "" {
		fc.Name = n.fleet
	}
	if !nc.Enabled() {
		return nc, fc, fmt.Errorf("%w: no NATS server: give -server or set output.nats.servers in %s", errUsage, n.config)
	}
	if err := nc.Validate(); err != nil {
		return nc, fc, fmt.Errorf("%w: %w", errUsage, err)
	}
	if err := fc.Validate(); err != nil {
		return nc, fc, fmt.Errorf("%w: %w", errUsage, err)
	}
	return nc, fc, nil
}

// connect connects and waits for a server, up to the timeout.
func (n *natsFlags) connect(ctx context.Context, nc natsout.Config, who string) (*natsout.Conn, error) {
	conn, err := natsout.Connect(nc, who, nil)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(n.timeout)
	for !conn.IsConnected() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			conn.Close()
			return nil, fmt.Errorf("no NATS server answered within %s (%v)", n.timeout, nc.Servers)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return conn, nil
}

// openFleet connects and opens the fleet's buckets.
func (n *natsFlags) openFleet(ctx context.Context, who string) (*fleet.Fleet, *natsout.Conn, fleet.Config, error) {
	nc, fc, err := n.load()
	if err != nil {
		return nil, nil, fc, err
	}
	conn, err := n.connect(ctx, nc, who)
	if err != nil {
		return nil, nil, fc, err
	}
	f, err := fleet.Open(ctx, conn.Conn, fc)
	if err != nil {
		conn.Close()
		return nil, nil, fc, err
	}
	return f, conn, fc, nil
}

var modelHelp = help{
	usage: []string{"tlsentry model show [-markdown] [MODEL]",
		"tlsentry model push [-config FILE | -server URL] [-fleet NAME] MODEL"},
	about: `show prints what a model is (kind, threshold, what it was trained on) and,
for a hybrid model, every evidence check with the benign flows it fired
on, what it weighs in bits (by era, where the corpus's eras differ) and
the signature it alerts under: how each reason's bits were set, and what
a site's model learned of its site. Without MODEL, the embedded default.
-markdown prints the table of docs/checks.md.

push checks a model file (it must load and make a scorer) and publishes
it to the fleet's object store on the NATS servers of a sensor's
configuration (output.nats of -config) or of -server: every sensor
watching the fleet (fleet.watch) fetches it, checks it again, and swaps
it in through its reload path, or refuses it and keeps the model it
runs. Prints the revision made.`,
}

// runModel is `tlsentry model show [MODEL]` and `tlsentry model push MODEL`.
func runModel(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "show" {
		return runModelShow(args[1:], stdout, stderr)
	}
	fs := newFlagSet("model", modelHelp)
	var n natsFlags
	n.register(fs)
	path, err := parseSubcommand(fs, args, stderr, "push", true)
	if err != nil {
		return err
	}
	data, err := readBounded(path, fleet.MaxModelMB<<20)
	if err != nil {
		return err
	}
	// The sensors check it too; a file that does not load is refused
	// here first.
	m, err := detector.Load(data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if _, err := m.NewScorer(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	f, conn, fc, err := n.openFleet(ctx, "model push")
	if err != nil {
		return err
	}
	defer conn.Close()
	rev, err := f.PushModel(ctx, data, m.Name())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "model %s (%d bytes) pushed to fleet %s: revision %d\n", m.Name(), len(data), fc.Name, rev)
	return nil
}

var configHelp = help{
	usage: []string{"tlsentry config push [-config FILE | -server URL] [-fleet NAME] [-sensor NAME] SETTINGS",
		"tlsentry config remove [-config FILE | -server URL] [-fleet NAME] [-sensor NAME]"},
	about: `push checks a settings file (YAML shaped like the configuration that sets
only keys a reload applies outside the sensor and output sections: the
threshold or alert rate, the allowlist, the alerts' rate limits) and
publishes it to the fleet's key-value bucket, or as one sensor's own
settings (-sensor), laid over the fleet's. Every sensor concerned applies
it over its configuration file as a reload does, or refuses it and keeps
what it runs. remove takes the settings away: the sensors go back to
their files. Prints the revision made.`,
}

// runConfigCmd is `tlsentry config push SETTINGS` and `tlsentry config
// remove`.
func runConfigCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("config", configHelp)
	var n natsFlags
	n.register(fs)
	sensor := fs.String("sensor", "", "the settings of this sensor (over the fleet's), instead of the fleet's")
	sub := ""
	if len(args) > 0 {
		sub = args[0]
	}
	want, withFile := "push", true
	if sub == "remove" {
		want, withFile = "remove", false
	}
	path, err := parseSubcommand(fs, args, stderr, want, withFile)
	if err != nil {
		return err
	}
	kind := fleet.KindSettings
	if *sensor != "" {
		kind = fleet.KindSensorSettings
	}
	var data []byte
	if sub == "push" {
		if data, err = readBounded(path, config.MaxFileSize); err != nil {
			return err
		}
		// Checked over the defaults, as a sensor checks it over its file.
		if _, err := config.Default().WithSettings(data, path); err != nil {
			return err
		}
	}
	f, conn, fc, err := n.openFleet(ctx, "config "+sub)
	if err != nil {
		return err
	}
	defer conn.Close()
	if sub == "remove" {
		if err := f.Remove(ctx, kind, *sensor); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s removed from fleet %s\n", fc.Key(kind, *sensor), fc.Name)
		return nil
	}
	rev, err := f.PushSettings(ctx, *sensor, data)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s pushed to fleet %s as %s: revision %d\n", path, fc.Name, fc.Key(kind, *sensor), rev)
	return nil
}

// parseSubcommand parses "SUB [flags] [FILE]": the subcommand first,
// then flags, then one file when withFile. -h alone asks for the help.
func parseSubcommand(fs *flag.FlagSet, args []string, stderr io.Writer, sub string, withFile bool) (string, error) {
	if len(args) > 0 && args[0] == sub {
		args = args[1:]
	} else if len(args) == 0 || !strings.HasPrefix(args[0], "-") {
		fs.SetOutput(stderr)
		fs.Usage()
		return "", fmt.Errorf("%w: %s needs its subcommand (see tlsentry help %s)", errUsage, fs.Name(), fs.Name())
	}
	if err := parseFlagsAndArgs(fs, args, stderr); err != nil {
		return "", err
	}
	switch {
	case withFile && fs.NArg() != 1:
		fs.Usage()
		return "", fmt.Errorf("%w: give one file", errUsage)
	case !withFile && fs.NArg() > 0:
		return "", fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	case withFile:
		return fs.Arg(0), nil
	}
	return "", nil
}

// readBounded reads a file of at most limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return data, nil
}
