package sensor

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"
)

// LiveConfig sets up a live AF_PACKET capture. Zero values take the
// defaults of DefaultLiveConfig, except Promiscuous (false means off).
type LiveConfig struct {
	// Interface is the network interface to capture on (a span port).
	Interface string
	// Workers is the number of capture sockets, each read by its own
	// goroutine and feeding its own sink. The kernel spreads packets over
	// them by a symmetric flow hash (PACKET_FANOUT_HASH), so both
	// directions of a connection reach the same worker.
	Workers int
	// RingBytes is the size of each socket's TPACKET_V3 ring (so the
	// capture maps Workers × RingBytes); a multiple of BlockSize.
	RingBytes int
	// BlockSize is the size of one ring block: a power of two, at least a
	// page. A packet larger than a block is cut short.
	BlockSize int
	// BlockTimeout is how long the kernel fills a block before handing it
	// over partly filled (millisecond granularity): the capture latency
	// on a quiet link.
	BlockTimeout time.Duration
	// Promiscuous puts the interface in promiscuous mode while the capture
	// runs (a socket membership the kernel drops when the sockets close,
	// so the interface's own setting is never changed).
	Promiscuous bool
	// FanoutGroup is the PACKET_FANOUT group id the sockets join. 0
	// derives one from the process id; set it explicitly when several
	// processes capture on the same interface.
	FanoutGroup uint16
	// BPFProgramFD is a loaded eBPF socket filter program (bpf.Filter's
	// FD) attached to every socket; 0 or negative for none.
	BPFProgramFD int
	// AddVLANHeader puts back into each frame the 802.1Q tag the kernel
	// took out (it always does on receive, keeping it beside the packet).
	// The decoder does not need it, and it costs a copy of every tagged
	// frame, so it is off unless frames must look as they did on the wire.
	AddVLANHeader bool
	// TickInterval is how often each worker's sink gets Tick, also when
	// no packet arrives, so idle flows end on a quiet link.
	TickInterval time.Duration
}

// Limits and defaults of a LiveConfig.
const (
	DefaultRingBytes    = 64 << 20
	DefaultBlockSize    = 1 << 20
	DefaultBlockTimeout = 10 * time.Millisecond
	DefaultTickInterval = 250 * time.Millisecond

	maxLiveWorkers   = 256 // a fanout group's member limit on older kernels
	maxBlockSize     = 64 << 20
	maxRingBytes     = 2 << 30 // the kernel maps at most 4 GiB per ring
	maxBlockTimeout  = 50 * time.Millisecond
	minTickInterval  = 10 * time.Millisecond
	maxTickInterval  = 10 * time.Second
	maxInterfaceName = 15 // IFNAMSIZ less the terminating NUL
)

// ErrLiveConfig is wrapped by errors for a bad LiveConfig.
var ErrLiveConfig = errors.New("live capture config")

// DefaultLiveConfig returns the defaults for capturing on iface: one
// worker per CPU up to 4, a 64 MiB ring of 1 MiB blocks per worker,
// 10 ms block timeout, promiscuous mode, a 250 ms tick.
func DefaultLiveConfig(iface string) LiveConfig {
	return LiveConfig{
		Interface:    iface,
		Workers:      defaultLiveWorkers(),
		RingBytes:    DefaultRingBytes,
		BlockSize:    DefaultBlockSize,
		BlockTimeout: DefaultBlockTimeout,
		Promiscuous:  true,
		TickInterval: DefaultTickInterval,
	}
}

func defaultLiveWorkers() int { return max(1, min(runtime.GOMAXPROCS(0), 4)) }

// withDefaults fills zero values with the defaults.
func (c LiveConfig) withDefaults() LiveConfig {
	d := DefaultLiveConfig(c.Interface)
	orDefault(&c.Workers, d.Workers)
	orDefault(&c.RingBytes, d.RingBytes)
	orDefault(&c.BlockSize, d.BlockSize)
	orDefault(&c.BlockTimeout, d.BlockTimeout)
	orDefault(&c.TickInterval, d.TickInterval)
	return c
}

func orDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Validate reports the first setting that is out of range; zero values
// stand for their defaults and are valid.
func (c LiveConfig) Validate() error {
	if err := c.withDefaults().check(); err != nil {
		return fmt.Errorf("%w: %w", ErrLiveConfig, err)
	}
	return nil
}

func (c LiveConfig) check() error {
	page := os.Getpagesize()
	switch {
	case c.Interface == "":
		return errors.New("interface: none given")
	case len(c.Interface) > maxInterfaceName:
		return fmt.Errorf("interface %q: longer than %d bytes", c.Interface, maxInterfaceName)
	case c.Workers < 1 || c.Workers > maxLiveWorkers:
		return fmt.Errorf("workers %d: must be between 1 and %d", c.Workers, maxLiveWorkers)
	case c.BlockSize < page || c.BlockSize > maxBlockSize || c.BlockSize&(c.BlockSize-1) != 0:
		return fmt.Errorf("block size %d: must be a power of two between the page size (%d) and %d bytes", c.BlockSize, page, maxBlockSize)
	case c.RingBytes < 2*c.BlockSize || c.RingBytes > maxRingBytes:
		return fmt.Errorf("ring bytes %d: must be between two blocks (%d) and %d bytes", c.RingBytes, 2*c.BlockSize, maxRingBytes)
	case c.RingBytes%c.BlockSize != 0:
		return fmt.Errorf("ring bytes %d: must be a multiple of the block size %d", c.RingBytes, c.BlockSize)
	case c.BlockTimeout < time.Millisecond || c.BlockTimeout > maxBlockTimeout:
		return fmt.Errorf("block timeout %v: must be between 1ms and %v", c.BlockTimeout, maxBlockTimeout)
	case c.BlockTimeout%time.Millisecond != 0:
		return fmt.Errorf("block timeout %v: must be whole milliseconds", c.BlockTimeout)
	case c.TickInterval < minTickInterval || c.TickInterval > maxTickInterval:
		return fmt.Errorf("tick interval %v: must be between %v and %v", c.TickInterval, minTickInterval, maxTickInterval)
	}
	return nil
}
