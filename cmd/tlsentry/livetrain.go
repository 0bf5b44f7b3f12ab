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

func (l *liveLearning) portList() ([]uint16, error) {
	var ports []uint16
	for _, s := range strings.Split(l.ports, ",") {
		p, err := strconv.ParseUint(strings.TrimSpace(s), 10, 16)
		if err != nil || p == 0 {
			return nil, fmt.Errorf("%w: -ports %q: want a comma-separated list of TCP ports", errUsage, l.ports)
		}
		ports = append(ports, uint16(p))
	}
	return ports, nil
}

// captureFlows captures the flows of the watched ports on an interface for
// the given duration (or until ctx ends, or stopAfter flows), through the
// same pipeline as the daemon, then hands out the flows still open. Only
// flows with payload whose server port is watched are kept (the eBPF
// filter, when it loads, keeps the rest in the kernel).
func (l *liveLearning) captureFlows(ctx context.Context, table flow.Config, stderr io.Writer) ([]*flow.Flow, error) {
	ports, err := l.portList()
	if err != nil {
		return nil, err
	}
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
	fmt.Fprintf(stderr, "train: learning from %s (ports %s) for %s or %d flows\n", l.iface, l.ports, l.duration, l.stopAfter)
	runErr := p.Run(runCtx, &pipeline.LiveInput{Captures: []*afpacket.Capture{capture}})
	if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil, ctx.Err()
	}
	st := capture.Stats().Total
	got := flows.Flows()
	fmt.Fprintf(stderr, "train: captured %d packets (%d dropped by the kernel), %d flows on watched ports\n",
		st.Packets.Read, st.Kernel.Drops, len(got))
	if runErr != nil {
		return got, fmt.Errorf("live capture: %w", runErr)
	}
	return got, nil
}
