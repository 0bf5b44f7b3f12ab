package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tlsentry/tlsentry/sensor/afpacket"
	"github.com/tlsentry/tlsentry/sensor/metrics"
)

// LiveInput is the live Source: one AF_PACKET capture per interface,
// opened beforehand (afpacket.Open), each worker of each capture
// feeding its own table: capture k's worker j owns the table after those
// of the captures before it. The pipeline needs as many workers as all
// the captures have together (Workers). Run gives the captures' decoders
// the pipeline's watched ports as their UDP ports.
type LiveInput struct {
	Captures []*afpacket.Capture
}

// Workers is the number of capture sockets of all the captures.
func (in *LiveInput) Workers() int {
	n := 0
	for _, c := range in.Captures {
		n += c.Config().Workers
	}
	return n
}

// KernelStats are each capture's ring counters, summed over its
// sockets, by interface, for the metrics (safe from any goroutine).
func (in *LiveInput) KernelStats() []metrics.KernelStats {
	out := make([]metrics.KernelStats, len(in.Captures))
	for i, c := range in.Captures {
		k := c.Stats().Total.Kernel
		out[i] = metrics.KernelStats{Interface: c.Config().Interface, Packets: k.Packets, Drops: k.Drops, QueueFreezes: k.QueueFreezes}
	}
	return out
}

// LinkStats are the captures' links, for the metrics (safe from any
// goroutine).
func (in *LiveInput) LinkStats() []metrics.LinkStats {
	out := make([]metrics.LinkStats, len(in.Captures))
	for i, c := range in.Captures {
		l := c.Stats().Link
		out[i] = metrics.LinkStats{Interface: c.Config().Interface, Up: l.State == afpacket.LinkUp,
			Flaps: l.Flaps, DownSeconds: l.Down.Seconds(), Reopens: l.Reopens}
	}
	return out
}

// Run runs every capture until ctx is cancelled. A capture whose link
// goes down or away waits for it (its tables keep their flows); one that
// fails to run at all stops the others too, and Run returns the failures.
// The sockets are closed when it returns.
func (in *LiveInput) Run(ctx context.Context, shards *Shards) error {
	if n := in.Workers(); n != shards.Len() || n == 0 {
		return fmt.Errorf("live input: %d capture workers for %d flow tables", n, shards.Len())
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	errs := make([]error, len(in.Captures))
	var running sync.WaitGroup
	first := 0
	for k, c := range in.Captures {
		if c.Decoder != nil {
			c.Decoder.UDPPorts = shards.Ports()
		}
		sinks := make([]afpacket.Sink, c.Config().Workers)
		for j := range sinks {
			shards.SetInterface(first+j, c.Config().Interface)
			sinks[j] = &liveShard{ShardSink: shards.Sink(first + j), shards: shards, capture: c, worker: j, shard: first + j}
		}
		first += len(sinks)
		running.Go(func() {
			if errs[k] = c.Run(ctx, sinks); errs[k] != nil {
				stop() // a capture that cannot run stops the sensor
			}
		})
	}
	running.Wait()
	// The workers have stopped: their last counts are ours to publish.
	first = 0
	for _, c := range in.Captures {
		for j, w := range c.Stats().Workers {
			shards.PublishPackets(first+j, &w.Packets)
		}
		first += len(c.Stats().Workers)
	}
	return errors.Join(errs...)
}

// liveShard is a capture worker's sink: the shard's table, and the
// worker's packet counters published about every second.
type liveShard struct {
	ShardSink
	shards        *Shards
	capture       *afpacket.Capture
	worker, shard int
	lastPublish   time.Time
}

func (l *liveShard) Tick(now time.Time) {
	l.ShardSink.Tick(now)
	if now.Sub(l.lastPublish) >= publishEvery || now.Before(l.lastPublish) {
		l.lastPublish = now
		if ws := l.capture.Stats().Workers; l.worker < len(ws) {
			l.shards.PublishPackets(l.shard, &ws[l.worker].Packets)
		}
	}
}
