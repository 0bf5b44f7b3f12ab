package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tlsentry/tlsentry/bpf"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor"
)

// liveLearning says what to capture for training straight from an
// interface (learning mode).
type liveLearning struct {
	iface    string
	duration time.Duration
	ports    string
	maxFlows int
	workers  int
	noBPF    bool
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
// the given duration (or until ctx ends, or maxFlows flows), then hands out
// the flows still open. Only flows whose server port is watched are kept
// (the eBPF filter, when it loads, keeps the rest in the kernel).
func (l *liveLearning) captureFlows(ctx context.Context, stderr io.Writer) ([]*flow.Flow, error) {
	ports, err := l.portList()
	if err != nil {
		return nil, err
	}
	cfg := sensor.DefaultLiveConfig(l.iface)
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
	capture, err := sensor.OpenLive(cfg)
	if err != nil {
		return nil, err
	}
	defer capture.Close()
	watched := map[uint16]bool{}
	for _, p := range ports {
		watched[p] = true
	}
	var (
		mu    sync.Mutex
		flows []*flow.Flow
	)
	runCtx, stop := context.WithTimeout(ctx, l.duration)
	defer stop()
	keep := func(f *flow.Flow) {
		if !watched[f.Server.Port] || len(f.Prefix) == 0 {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if len(flows) < l.maxFlows {
			flows = append(flows, f)
			if len(flows) == l.maxFlows {
				stop() // enough to learn from
			}
		}
	}
	tables, err := flow.NewSharded(cfg.Workers, flow.Config{}, func(int) func(*flow.Flow) { return keep })
	if err != nil {
		return nil, err
	}
	sinks := make([]sensor.LiveSink, cfg.Workers)
	for i := range sinks {
		sinks[i] = sensor.LiveTable{Table: tables.Shard(i)}
	}
	fmt.Fprintf(stderr, "train: learning from %s (ports %s) for %s or %d flows\n", l.iface, l.ports, l.duration, l.maxFlows)
	runErr := capture.Run(runCtx, sinks)
	tables.Flush()
	if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil, ctx.Err()
	}
	st := capture.Stats().Total
	fmt.Fprintf(stderr, "train: captured %d packets (%d dropped by the kernel), %d flows on watched ports\n",
		st.Packets.Read, st.Kernel.Drops, len(flows))
	return flows, runErr
}
