package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/bounds"
)

// fileList is a repeatable -r flag.
type fileList []string

func (f *fileList) String() string { return strings.Join(*f, ",") }
func (f *fileList) Set(v string) error {
	*f = append(*f, v)
	return nil
}

// tableFlags are the flow table settings shared by the offline commands.
type tableFlags struct {
	maxFlows              int
	idle, maxAge, udpIdle time.Duration
	verdict               time.Duration
	handshakeLimit        int
	memoryBudgetMB        int
}

func (t *tableFlags) register(fs *flag.FlagSet) {
	d := flow.DefaultConfig()
	fs.IntVar(&t.maxFlows, "max-flows", d.MaxFlows, fmt.Sprintf("most flows tracked at once, 1-%d (then the least recently seen makes room)", flow.MaxMaxFlows))
	fs.DurationVar(&t.idle, "idle-timeout", d.IdleTimeout, fmt.Sprintf("end a flow after this long without a packet, %s to %s (packet time)", bounds.Short(flow.MinTimeout), bounds.Short(flow.MaxTimeout)))
	fs.DurationVar(&t.maxAge, "max-age", d.MaxAge, fmt.Sprintf("hand out a flow still incomplete after this long, %s to %s (packet time)", bounds.Short(flow.MinTimeout), bounds.Short(flow.MaxTimeout)))
	fs.DurationVar(&t.udpIdle, "udp-idle-timeout", d.UDPIdleTimeout, fmt.Sprintf("end a UDP (QUIC) flow after this long without a datagram, %s to %s (packet time)", bounds.Short(flow.MinTimeout), bounds.Short(flow.MaxTimeout)))
	fs.DurationVar(&t.verdict, "verdict-timeout", d.VerdictTimeout, fmt.Sprintf("score a TCP flow that sent payload and then held still this long, %s up to -idle-timeout (packet time; the default is cut to -idle-timeout when that is shorter)", bounds.Short(flow.MinTimeout)))
	fs.IntVar(&t.handshakeLimit, "handshake-limit", d.HandshakeLimit, fmt.Sprintf("handshake bytes kept per direction (%d-%d)", flow.MinHandshakeLimit, flow.MaxHandshakeLimit))
	fs.IntVar(&t.memoryBudgetMB, "memory-budget-mb", d.MemoryBudgetMB, fmt.Sprintf("MiB of out-of-order and handshake bytes held by all flows together, 0-%d (over it the oldest out-of-order data is given up; 0: a sixteenth of the machine's memory, at most 64)", flow.MaxMemoryBudgetMB))
}

func (t *tableFlags) config() (flow.Config, error) {
	c := flow.DefaultConfig()
	c.MaxFlows, c.IdleTimeout, c.MaxAge, c.UDPIdleTimeout, c.HandshakeLimit = t.maxFlows, t.idle, t.maxAge, t.udpIdle, t.handshakeLimit
	c.MemoryBudgetMB = t.memoryBudgetMB
	c.VerdictTimeout = t.verdict
	c.FitVerdictTimeout(t.verdict != flow.DefaultConfig().VerdictTimeout) // -idle-timeout 5s alone is valid
	if err := c.Validate(); err != nil {
		return c, flagErrors(err, tableFlagNames)
	}
	return c, nil
}

// tableFlagNames are the flags of flow.Config's fields.
var tableFlagNames = map[string]string{"MaxFlows": "-max-flows", "IdleTimeout": "-idle-timeout", "MaxAge": "-max-age", "UDPIdleTimeout": "-udp-idle-timeout", "VerdictTimeout": "-verdict-timeout", "HandshakeLimit": "-handshake-limit", "MemoryBudgetMB": "-memory-budget-mb"}

// flagErrors turns a config type's bounds errors into a usage error that
// names the flags.
func flagErrors(err error, names map[string]string) error {
	var msgs []string
	for _, e := range bounds.Fields(err) {
		name := names[e.Field]
		if name == "" {
			name = e.Field
		}
		msgs = append(msgs, name+": "+e.Msg)
	}
	if len(msgs) == 0 {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	return fmt.Errorf("%w: %s", errUsage, strings.Join(msgs, "; "))
}

// output opens path for writing ("" or "-" is stdout) with a buffer; the
// returned close function flushes and closes.
func output(path string, stdout io.Writer) (*bufio.Writer, func() error, error) {
	if path == "" || path == "-" {
		w := bufio.NewWriterSize(stdout, 1<<16)
		return w, w.Flush, nil
	}
	// Write-only: os.Create opens read-write, and -w /dev/stdout on a
	// pipe then holds the pipe's read end itself, so that a reader that
	// went away (| head) left the writes blocked for ever instead of
	// failing.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return nil, nil, fmt.Errorf("output: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<16)
	return w, func() error {
		if err := w.Flush(); err != nil {
			f.Close()
			return fmt.Errorf("output %s: %w", path, err)
		}
		return f.Close()
	}, nil
}

// startCPUProfile profiles the process into path until the returned
// function is called.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// writeAllocProfile writes the allocations made since the start (the
// "allocs" profile: every sampled allocation, freed or not) to path.
func writeAllocProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("alloc profile: %w", err)
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("alloc profile: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("alloc profile: %w", err)
	}
	return nil
}
