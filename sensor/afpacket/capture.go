//go:build linux

package afpacket

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"github.com/tlsentry/tlsentry/sensor/decode"
)

// Capture reads packets from a network interface through one
// TPACKET_V3 socket per worker, all in one PACKET_FANOUT_HASH group: the
// kernel's flow hash is symmetric, so every packet of a connection, both
// directions, reaches the same worker. Each worker decodes its frames and
// hands the segments to its own Sink. A slow sink makes the kernel
// drop packets when the ring fills (counted in KernelStats.Drops); the
// capture never blocks the kernel nor buffers more than the rings.
//
// IP fragments and tunnels over UDP (VXLAN, Geneve) are spread by their
// outer headers; a tunnelled connection's two directions may then reach
// different workers (use one worker for such mirrors).
type Capture struct {
	// Decoder turns frames into segments. Open sets decode.NewDecoder();
	// replace it before Run to open other tunnel ports. The workers share
	// it (decoding only reads it).
	Decoder *decode.Decoder

	cfg      Config
	linkType uint32
	workers  []*liveWorker

	mu       sync.Mutex
	state    liveState
	quit     chan struct{} // closed by Close to stop a running capture
	quitOnce sync.Once
	finished chan struct{} // closed when Run has returned
}

type liveState uint8

const (
	liveOpen liveState = iota
	liveRunning
	liveClosed
)

// ErrNoSuchInterface is wrapped when the interface to capture on does not
// exist (in the network namespace of the calling thread).
var ErrNoSuchInterface = errors.New("no such network interface")

// liveSeq tells apart the fanout groups derived for captures in one process.
var liveSeq atomic.Uint32

// Open opens the capture sockets, joins them to their fanout group,
// puts the interface in promiscuous mode if asked, and attaches the eBPF
// program. The sockets are created on the calling goroutine's thread and
// stay in that thread's network namespace. Packets are queued in the
// rings from then on, but read only by Run.
//
// It needs CAP_NET_RAW; the error says so when it is missing, and wraps
// ErrNoSuchInterface when the interface does not exist.
func Open(cfg Config) (*Capture, error) {
	if cfg.Interface == "" {
		return nil, fmt.Errorf("%w: no interface given", ErrConfig)
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	lt, err := interfaceLinkType(cfg.Interface)
	if err != nil {
		return nil, fmt.Errorf("live capture on %q: %w", cfg.Interface, err)
	}
	if cfg.FanoutGroup == 0 {
		cfg.FanoutGroup = uint16(os.Getpid()) + uint16(liveSeq.Add(1)-1)
		if cfg.FanoutGroup == 0 {
			cfg.FanoutGroup = 1
		}
	}
	workers, err := openSockets(cfg)
	if err != nil {
		return nil, fmt.Errorf("live capture on %q: %w", cfg.Interface, err)
	}
	return &Capture{
		Decoder:  decode.NewDecoder(),
		cfg:      cfg,
		linkType: lt,
		workers:  workers,
		quit:     make(chan struct{}),
		finished: make(chan struct{}),
	}, nil
}

// Config returns the configuration in use, defaults and the fanout group
// filled in.
func (c *Capture) Config() Config { return c.cfg }

// Run reads packets until ctx is cancelled, Close is called, or a socket
// fails (the interface went down or was removed), handing worker i's
// segments to sinks[i] on worker i's goroutine. It returns nil when
// stopped by ctx or Close, and otherwise the failed workers' errors. Every
// goroutine it started has ended and the sockets are closed when it
// returns: a capture runs once. It does not flush the sinks.
func (c *Capture) Run(ctx context.Context, sinks []Sink) error {
	if len(sinks) != len(c.workers) {
		return fmt.Errorf("live capture on %q: %d sinks for %d workers", c.cfg.Interface, len(sinks), len(c.workers))
	}
	for i, s := range sinks {
		if s == nil {
			return fmt.Errorf("live capture on %q: sink %d is nil", c.cfg.Interface, i)
		}
	}
	if c.Decoder == nil {
		return fmt.Errorf("live capture on %q: no decoder", c.cfg.Interface)
	}
	c.mu.Lock()
	if c.state != liveOpen {
		c.mu.Unlock()
		return fmt.Errorf("live capture on %q: already run or closed", c.cfg.Interface)
	}
	c.state = liveRunning
	c.mu.Unlock()
	defer close(c.finished)

	var stop atomic.Bool
	runDone, watchDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watchDone)
		select {
		case <-ctx.Done():
		case <-c.quit:
		case <-runDone:
		}
		stop.Store(true)
	}()

	errs := make([]error, len(c.workers))
	var wg sync.WaitGroup
	for i, w := range c.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.run(&stop, sinks[i], c.Decoder, c.linkType, c.cfg.TickInterval); err != nil {
				errs[i] = fmt.Errorf("live capture on %q, worker %d: %w", c.cfg.Interface, i, err)
				stop.Store(true) // one failed socket stops the capture
			}
		}()
	}
	wg.Wait()
	close(runDone)
	<-watchDone
	c.mu.Lock()
	c.state = liveClosed
	c.mu.Unlock()
	return errors.Join(errs...)
}

// Close stops a running capture and waits for Run to return, or closes
// the sockets of a capture that never ran. It is safe to call more than
// once and from any goroutine.
func (c *Capture) Close() error {
	c.mu.Lock()
	switch c.state {
	case liveOpen:
		c.state = liveClosed
		c.mu.Unlock()
		for _, w := range c.workers {
			w.tp.Close()
		}
		return nil
	case liveRunning:
		c.quitOnce.Do(func() { close(c.quit) })
		c.mu.Unlock()
		<-c.finished
		return nil
	}
	c.mu.Unlock()
	return nil
}

// Stats returns a snapshot of the counters; safe to call from any
// goroutine, during and after Run.
func (c *Capture) Stats() Stats {
	st := Stats{Interface: c.cfg.Interface, Workers: make([]WorkerStats, len(c.workers))}
	for i, w := range c.workers {
		st.Workers[i] = w.snapshot()
		st.Total.Add(&st.Workers[i])
	}
	return st
}
