package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tlsentry/tlsentry/bpf"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/bounds"
	"github.com/tlsentry/tlsentry/internal/termsafe"
	"github.com/tlsentry/tlsentry/sensor/afpacket"
	"github.com/tlsentry/tlsentry/sensor/config"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
)

// liveLearning says what to capture for training straight from an
// interface (learning mode).
type liveLearning struct {
	iface     string
	duration  time.Duration
	ports     string
	stopAfter int
	workers   int
	noBPF     bool
}

// defaultLearnPorts are the ports learning mode watches unless -ports
// says otherwise: those the daemon watches by default.
func defaultLearnPorts() string {
	var ports []string
	for _, p := range config.DefaultPorts() {
		ports = append(ports, strconv.Itoa(p))
	}
	return strings.Join(ports, ",")
}

// Bounds of learning mode's own flags (the capture's and the filter's
// are afpacket.Config's and bpf.Config's).
const (
	minLearnDuration = time.Second
	maxLearnDuration = 31 * 24 * time.Hour
	maxLearnFlows    = 1 << 20 // each kept in memory with its handshake until training
)

// learnFlagNames are the flags of the fields learning mode validates.
var learnFlagNames = map[string]string{
	"Duration": "-duration", "StopAfter": "-stop-after", "Ports": "-ports",
	"Workers": "-workers", "Interface": "-i",
}

// validate range-checks the flags of learning mode (given or not: their
// defaults are valid), before anything is opened.
func (l *liveLearning) validate() error {
	var errs []error
	bounds.Duration(&errs, "Duration", l.duration, minLearnDuration, maxLearnDuration)
	bounds.Int(&errs, "StopAfter", l.stopAfter, 1, maxLearnFlows)
	capture := afpacket.DefaultConfig(l.iface)
	if l.workers != 0 {
		capture.Workers = l.workers
	}
	errs = append(errs, capture.Validate())
	if ports, err := l.portList(); err != nil {
		errs = append(errs, err)
	} else {
		errs = append(errs, bpf.DefaultConfig(ports...).Validate())
	}
	if err := errors.Join(errs...); err != nil {
		return flagErrors(err, learnFlagNames)
	}
	return nil
}

// portList parses -ports: TCP ports (1-65535), each once.
func (l *liveLearning) portList() ([]uint16, error) {
	var ports []uint16
	var errs []error
	seen := map[uint64]bool{}
	for i, s := range strings.Split(l.ports, ",") {
		p, err := strconv.ParseUint(strings.TrimSpace(s), 10, 16)
		switch {
		case err != nil || p == 0:
			bounds.Add(&errs, "Ports", "item %d, %s, is not a TCP port (1-65535)", i+1, termsafe.Value(strings.TrimSpace(s)))
		case seen[p]:
			bounds.Add(&errs, "Ports", "port %d is listed twice", p)
		}
		seen[p] = true
		ports = append(ports, uint16(p))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return ports, nil
}

// captureFlows captures the flows of the watched ports on an interface for
// the given duration (or until ctx ends, or stopAfter flows), through the
// same pipeline as the daemon, then hands out the flows still open. Only
// flows with payload whose server port is watched are kept (the eBPF
// filter, when it loads, keeps the rest in the kernel).
func (l *liveLearning) captureFlows(ctx context.Context, table flow.Config, stderr io.Writer) ([]*flow.Flow, error) {
	if err := l.validate(); err != nil {
		return nil, err
	}
	ports, _ := l.portList()
	cfg := afpacket.DefaultConfig(l.iface)
	if l.workers > 0 {
		cfg.Workers = l.workers
	}
	if !l.noBPF {
		filter, err := bpf.Load(bpf.DefaultConfig(ports...))
		if err != nil {
			return nil, fmt.Errorf("eBPF filter (-no-bpf runs without it): %w", err)
		}
		defer filter.Close()
		cfg.BPFProgramFD = filter.FD()
	}
	capture, err := afpacket.Open(cfg)
	if err != nil {
		return nil, err
	}
	defer capture.Close()
	watched := map[uint16]bool{}
	for _, p := range ports {
		watched[p] = true
	}
	runCtx, stop := context.WithTimeout(ctx, l.duration)
	defer stop()
	flows := &pipeline.Collector{
		Keep:  func(f *flow.Flow) bool { return watched[f.Server.Port] },
		Limit: l.stopAfter,
		Full:  stop, // enough to learn from
	}
	tuning := pipeline.DefaultTuning()
	p, err := pipeline.New(pipeline.Config{Shards: cfg.Workers, Ports: ports, Table: table, Tuning: tuning, Sink: flows})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "train: learning from %s (ports %s) for %s or %d flows\n", termsafe.Value(l.iface), termsafe.Value(l.ports), l.duration, l.stopAfter)
	if err := capture.SpreadError(); err != nil {
		fmt.Fprintf(stderr, "train: warning: %s (%v)\n", spreadWarning, err)
	}
	runErr := p.Run(runCtx, &pipeline.LiveInput{Captures: []*afpacket.Capture{capture}})
	if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil, ctx.Err()
	}
	cst := capture.Stats()
	st := cst.Total
	got := flows.Flows()
	fmt.Fprintf(stderr, "train: captured %d packets (%d dropped by the kernel), %d flows on watched ports\n",
		st.Packets.Read, st.Kernel.Drops, len(got))
	if link := cst.Link; link.Flaps > 0 {
		fmt.Fprintf(stderr, "train: the link of %s went down %d time(s), %s without it in all; the flows in hand were kept\n",
			l.iface, link.Flaps, link.Down.Round(time.Second))
	}
	if runErr != nil {
		return got, fmt.Errorf("live capture: %w", runErr)
	}
	return got, nil
}
