//go:build linux

package afpacket

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/tlsentry/tlsentry/bpf"
	"github.com/tlsentry/tlsentry/sensor/decode"
)

// Capture reads packets from a network interface through one
// TPACKET_V3 socket per worker, all in one fanout group spread by a
// symmetric hash, so every packet of a connection, both directions,
// reaches the same worker. Each worker decodes its frames and
// hands the segments to its own Sink. A slow sink makes the kernel
// drop packets when the ring fills (counted in KernelStats.Drops); the
// capture never blocks the kernel nor buffers more than the rings.
//
// The capture outlives its interface: when the link goes down, loses its
// carrier, or the interface is removed, the workers keep their sinks
// ticking and the capture waits for the interface (link.go), then goes on
// with the same sockets or new ones. Stats.Link says how it fares.
//
// IPv4 fragments are reassembled by the kernel before they are spread
// (PACKET_FANOUT_FLAG_DEFRAG); IPv6 fragments are spread by their
// addresses, as all IPv6 packets are (the fanout program), and
// reassembled by the worker that gets them. Tunnels over UDP (VXLAN,
// Geneve) are spread by their outer headers, so a tunnelled connection's
// two directions may reach different workers (use one worker for such
// mirrors).
type Capture struct {
	// Decoder turns frames into segments. Open sets decode.NewDecoder();
	// replace it before Run to open other tunnel ports. The workers share
	// it (decoding only reads it).
	Decoder *decode.Decoder
	// Log gets a line when the link changes state or the sockets cannot
	// be opened again (a few a minute at most); nil logs nothing. Set it
	// before Run.
	Log *zap.Logger

	cfg     Config
	workers []*liveWorker
	ns      *netns
	events  *linkEvents // nil when netlink cannot be heard: the link is polled
	status  linkStatus
	sawDown atomic.Bool // a worker's socket reported the interface down

	// fanout spreads packets over the workers; nil with one worker, or
	// when it could not be loaded (spreadErr says why): then the kernel's
	// flow hash does, which may part an IPv6 connection from its
	// fragments.
	fanout    *bpf.Fanout
	spreadErr error

	// On the link watcher's goroutine (or Open's) only.
	boundIndex int  // the device the sockets are bound to
	opened     bool // sockets were opened once: later opens are reopens

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

// ErrInterfaceDown is wrapped when the interface to capture on is down.
var ErrInterfaceDown = errors.New("interface is down")

// liveSeq tells apart the fanout groups derived for captures in one process.
var liveSeq atomic.Uint32

// Open opens the capture sockets, joins them to their fanout group,
// puts the interface in promiscuous mode if asked, and attaches the eBPF
// program. The sockets are created on the calling goroutine's thread and
// stay in that thread's network namespace, where the capture later opens
// new ones if the interface is made again. Packets are queued in the
// rings from then on, but read only by Run.
//
// It needs CAP_NET_RAW; the error says so when it is missing. When the
// interface does not exist the error wraps ErrNoSuchInterface, when it is
// down ErrInterfaceDown, unless cfg.WaitForLink: then Open checks what it
// can (the configuration, CAP_NET_RAW) and returns a capture that opens
// its sockets once the interface is there and up (Stats.Link says which).
func Open(cfg Config) (_ *Capture, err error) {
	if cfg.Interface == "" {
		return nil, fmt.Errorf("%w: no interface given", ErrConfig)
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	fail := func(err error) error { return fmt.Errorf("live capture on %q: %w", cfg.Interface, err) }
	ns, err := openNetns()
	if err != nil {
		return nil, fail(err)
	}
	c := &Capture{Decoder: decode.NewDecoder(), cfg: cfg, ns: ns, quit: make(chan struct{}), finished: make(chan struct{})}
	defer func() {
		if err != nil {
			c.closeIdle()
		}
	}()
	if c.cfg.FanoutGroup == 0 {
		c.cfg.FanoutGroup = uint16(os.Getpid()) + uint16(liveSeq.Add(1)-1)
		if c.cfg.FanoutGroup == 0 {
			c.cfg.FanoutGroup = 1
		}
	}
	for i := range cfg.Workers {
		c.workers = append(c.workers, newLiveWorker(i, cfg.AddVLANHeader))
	}
	if cfg.Workers > 1 {
		c.fanout, c.spreadErr = bpf.LoadFanout()
	}
	info, err := ns.link(cfg.Interface)
	if err != nil {
		return nil, fail(err)
	}
	now := time.Now()
	switch info.state {
	case LinkAbsent, LinkDown:
		why := ErrNoSuchInterface
		if info.state == LinkDown {
			why = ErrInterfaceDown
		}
		if !cfg.WaitForLink {
			return nil, fail(why)
		}
		if err := checkCapNetRaw(); err != nil {
			return nil, fail(err)
		}
	default:
		lt, err := ns.linkType(cfg.Interface)
		if err != nil {
			return nil, fail(err)
		}
		socks, err := openSockets(c.cfg, lt, c.fanout)
		if err != nil {
			return nil, fail(err)
		}
		c.boundIndex, c.opened = info.index, true
		if socks[0].ifindex > 0 {
			c.boundIndex = socks[0].ifindex
		}
		for i, w := range c.workers {
			w.holding.Store(true)
			w.adopt(socks[i])
		}
	}
	c.status.init(info.state, now)
	if ev, err := openLinkEvents(); err == nil {
		c.events = ev // without it, the link is looked at with backoff alone
	}
	return c, nil
}

// Config returns the configuration in use, defaults and the fanout group
// filled in.
func (c *Capture) Config() Config { return c.cfg }

// Run reads packets until ctx is cancelled or Close is called, handing
// worker i's segments to sinks[i] on worker i's goroutine, and Tick
// about every TickInterval whether packets arrive or not. A link that
// goes down or away does not end it: the workers wait for the interface
// (ticking) and go on. It returns nil when stopped, an error only for bad
// arguments. Every goroutine it started has ended and the sockets are
// closed when it returns: a capture runs once. It does not flush the
// sinks.
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
	stopped := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-c.quit:
		}
		stop.Store(true)
		close(stopped)
	}()

	wake := make(chan struct{}, 1)
	var wg sync.WaitGroup
	wg.Go(func() { c.watchLink(stopped, wake) })
	for i, w := range c.workers {
		env := &workerEnv{stop: &stop, stopped: stopped, wake: wake, sawDown: &c.sawDown, sink: sinks[i], dec: c.Decoder,
			interval: c.cfg.TickInterval, blockTimeout: c.cfg.BlockTimeout}
		wg.Go(func() { w.run(env) })
	}
	wg.Wait()
	c.mu.Lock()
	c.state = liveClosed
	c.mu.Unlock()
	c.closeIdle()
	return nil
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
		c.closeIdle()
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

// closeIdle closes what no goroutine uses any more: the workers' sockets
// (those handed over and those still on their way), the netlink socket
// and the namespace handles.
func (c *Capture) closeIdle() {
	for _, w := range c.workers {
		w.closeSocket()
		select {
		case s := <-w.give:
			s.tp.Close()
		default:
		}
	}
	if c.events != nil {
		c.events.close()
		c.events = nil
	}
	if c.fanout != nil {
		c.fanout.Close() // the fanout group, gone with the sockets, held its own reference
		c.fanout = nil
	}
	c.ns.close()
}

// SpreadError says why the capture spreads packets over its workers by
// the kernel's flow hash rather than its eBPF fanout program (nil when it
// uses the program, or has one worker). By that hash an IPv6 connection's
// fragments, which carry no ports after the first, may reach a worker
// other than the one with the rest of the connection: a handshake sent
// in IPv6 fragments is then lost.
func (c *Capture) SpreadError() error { return c.spreadErr }

// Stats returns a snapshot of the counters; safe to call from any
// goroutine, during and after Run.
func (c *Capture) Stats() Stats {
	st := Stats{Interface: c.cfg.Interface, Workers: make([]WorkerStats, len(c.workers)), Link: c.status.snapshot(time.Now())}
	for i, w := range c.workers {
		st.Workers[i] = w.snapshot()
		st.Total.Add(&st.Workers[i])
	}
	return st
}
