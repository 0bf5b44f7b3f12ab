package afpacket

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
	"unicode"

	"github.com/tlsentry/tlsentry/internal/bounds"
)

// Config sets up a live AF_PACKET capture. Zero values take the
// defaults of DefaultConfig, except Promiscuous (false means off).
type Config struct {
	// Interface is the network interface to capture on (a span port).
	Interface string
	// Workers is the number of capture sockets, each read by its own
	// goroutine and feeding its own sink. Packets are spread over them by
	// a symmetric hash (the fanout program of package bpf, or the
	// kernel's PACKET_FANOUT_HASH where it cannot load), so both
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
	// WaitForLink makes Open succeed when the interface does not exist or
	// is down: the capture opens its sockets once it is there and up. (A
	// capture waits for its interface whenever the link goes away while
	// it runs; this is only about the start.)
	WaitForLink bool
}

// Limits and defaults of a Config.
const (
	DefaultRingBytes    = 64 << 20
	DefaultBlockSize    = 1 << 20
	DefaultBlockTimeout = 10 * time.Millisecond
	DefaultTickInterval = 250 * time.Millisecond

	MaxWorkers       = 256 // a fanout group's member limit on older kernels
	MaxBlockSize     = 64 << 20
	MaxRingBytes     = 2 << 30 // the kernel maps at most 4 GiB per ring
	MaxBlockTimeout  = 50 * time.Millisecond
	MinTickInterval  = 10 * time.Millisecond
	MaxTickInterval  = 10 * time.Second
	maxInterfaceName = 15 // IFNAMSIZ less the terminating NUL
)

// ErrConfig is wrapped by errors for a bad Config.
var ErrConfig = errors.New("live capture config")

// DefaultConfig returns the defaults for capturing on iface: one
// worker per CPU up to 4, a 64 MiB ring of 1 MiB blocks per worker,
// 10 ms block timeout, promiscuous mode, a 250 ms tick.
func DefaultConfig(iface string) Config {
	return Config{
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

// WithDefaults returns c with its zero values replaced by the defaults.
func (c Config) WithDefaults() Config {
	d := DefaultConfig(c.Interface)
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

// Validate reports every setting out of its bounds (a *bounds.Error
// each). Zero values are out of bounds: Open fills them with the defaults
// first (WithDefaults), a configuration file does not. An empty Interface
// is valid here (a configuration for capture files has none); Open needs
// one.
func (c Config) Validate() error {
	var errs []error
	if c.Interface != "" {
		if msg := InterfaceNameProblem(c.Interface); msg != "" {
			bounds.Add(&errs, "Interface", "%q %s", c.Interface, msg)
		}
	}
	bounds.Int(&errs, "Workers", c.Workers, 1, MaxWorkers)
	page := os.Getpagesize()
	blockOK := c.BlockSize >= page && c.BlockSize <= MaxBlockSize && c.BlockSize&(c.BlockSize-1) == 0
	if !blockOK {
		bounds.Add(&errs, "BlockSize", "%s is not a power of two from the page size (%s) to %s", size(c.BlockSize), size(page), size(MaxBlockSize))
	}
	bounds.Int(&errs, "RingBytes", c.RingBytes, 2*max(c.BlockSize, page), MaxRingBytes)
	if blockOK && c.RingBytes >= 2*c.BlockSize && c.RingBytes%c.BlockSize != 0 {
		bounds.Add(&errs, "RingBytes", "%s is not a whole number of %s blocks", size(c.RingBytes), size(c.BlockSize))
	}
	bounds.Duration(&errs, "BlockTimeout", c.BlockTimeout, time.Millisecond, MaxBlockTimeout)
	if c.BlockTimeout%time.Millisecond != 0 {
		bounds.Add(&errs, "BlockTimeout", "%v is not a whole number of milliseconds", c.BlockTimeout)
	}
	bounds.Duration(&errs, "TickInterval", c.TickInterval, MinTickInterval, MaxTickInterval)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}

// size writes a byte count in KiB, MiB or GiB when it is a whole number
// of one.
func size(n int) string {
	for _, u := range []struct {
		shift int
		name  string
	}{{30, "GiB"}, {20, "MiB"}, {10, "KiB"}} {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return fmt.Sprintf("%d %s", n>>u.shift, u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

// InterfaceNameProblem says what is wrong with an interface name ("" if
// nothing), by the kernel's dev_valid_name rules: 1-15 bytes, not "." or
// "..", no '/', ':', spaces or control characters.
func InterfaceNameProblem(s string) string {
	if s == "" || len(s) > maxInterfaceName || s == "." || s == ".." {
		return "is not an interface name (1-15 characters, no '/', ':' or spaces)"
	}
	if strings.ContainsFunc(s, func(r rune) bool {
		return r == '/' || r == ':' || unicode.IsSpace(r) || r < 0x20 || r >= 0x7f
	}) {
		return "is not an interface name (1-15 characters, no '/', ':' or spaces)"
	}
	return ""
}
