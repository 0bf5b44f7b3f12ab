package flow

import (
	"errors"
	"time"

	"github.com/tlsentry/tlsentry/internal/bounds"
)

// Config bounds a Table. It is the one owner of the flow table's bounds:
// the daemon's YAML configuration (section flow, whose keys are the yaml
// names here) and the commands' flags take it as it is and call Validate.
type Config struct {
	// MaxFlows is the most connections the table tracks at once. When it
	// is full, the least recently seen connection makes room, handed out
	// as EndEvicted.
	MaxFlows int `yaml:"max_flows"`
	// MaxRemembered bounds the memory of connections already handed out
	// (key, state and time, about 80 bytes each; see remembered.go), so
	// that their later packets are counted and not reborn as new flows.
	// When it is full the least recently seen is given up, and a flow
	// that later opens mid-stream on its key is marked
	// PickupAfterEviction. 0: four times MaxFlows.
	MaxRemembered int `yaml:"max_remembered"`
	// IdleTimeout ends a connection that saw no packet for this long
	// (packet time). MaxAge hands out a connection that has been open this
	// long without completing. ClosedTimeout is how long a connection is
	// remembered after FIN or RST, so that its last ACKs and
	// retransmissions are not taken for a new flow.
	IdleTimeout   time.Duration `yaml:"idle_timeout"`
	MaxAge        time.Duration `yaml:"max_age"`
	ClosedTimeout time.Duration `yaml:"closed_timeout"`
	// UDPIdleTimeout ends a UDP (QUIC) flow that saw no datagram for this
	// long: UDP has no close, so silence is its end.
	UDPIdleTimeout time.Duration `yaml:"udp_idle_timeout"`
	// VerdictTimeout hands out a TCP connection that sent payload and then
	// held still this long (packet time), EndVerdictTimeout: its verdict
	// comes then, not at IdleTimeout or MaxAge. At most IdleTimeout.
	VerdictTimeout time.Duration `yaml:"verdict_timeout"`
	// TLSPorts are the server ports where a client speaks TLS from its
	// first byte (or after a PROXY header or an HTTP CONNECT): a client
	// whose first bytes are none of these is handed out as soon as its
	// first flight is over (EndDecided). On other ports STARTTLS and the
	// like precede TLS, and the first ScanLimit bytes are searched. nil:
	// DefaultTLSPorts; empty: no port.
	TLSPorts []int `yaml:"tls_ports"`
	// HandshakeLimit bounds the handshake bytes kept per direction;
	// ScanLimit bounds how far into a direction's stream the first TLS
	// record is looked for (STARTTLS, proxies; 1: only at the start);
	// MaxPending bounds the out-of-order bytes buffered per direction.
	HandshakeLimit int `yaml:"handshake_limit"`
	ScanLimit      int `yaml:"scan_limit"`
	MaxPending     int `yaml:"max_pending"`
	// MemoryBudgetMB bounds, in MiB, the out-of-order and handshake bytes
	// held by all the tables of a sensor together (budget.go): over it,
	// the oldest out-of-order data is given up first. 0: a sixteenth of
	// the machine's memory, at most 64 MiB (DefaultBudgetBytes).
	MemoryBudgetMB int `yaml:"memory_budget_mb"`
}

// DefaultConfig returns the defaults: 65,536 flows (and four times as
// many handed-out connections remembered), 120 s idle (30 s for UDP), a
// verdict after 10 s of silence, 600 s max age, 30 s after close, 16 KiB
// of handshake, 16 KiB scanned, 32 KiB out of order, DefaultTLSPorts.
func DefaultConfig() Config {
	return Config{
		MaxFlows:       65536,
		IdleTimeout:    120 * time.Second,
		MaxAge:         600 * time.Second,
		ClosedTimeout:  30 * time.Second,
		UDPIdleTimeout: 30 * time.Second,
		VerdictTimeout: 10 * time.Second,
		TLSPorts:       DefaultTLSPorts(),
		HandshakeLimit: 16 << 10,
		ScanLimit:      16 << 10,
		MaxPending:     32 << 10,
	}
}

// Bounds Validate enforces.
const (
	MaxMaxFlows       = 1 << 24
	MaxMaxRemembered  = 1 << 26
	MinTimeout        = time.Second
	MaxTimeout        = 24 * time.Hour
	MinHandshakeLimit = 512
	MaxHandshakeLimit = 1 << 20
	MaxScanLimit      = 1 << 20
	MinPending        = 1500
	MaxPending        = 1 << 24
	MaxMemoryBudgetMB = 1 << 20
)

// FitVerdictTimeout cuts a verdict timeout the user did not choose (chosen
// false: the default) to a shorter idle timeout, so that a shorter idle
// timeout alone is a valid setting; a chosen one is left for Validate.
func (c *Config) FitVerdictTimeout(chosen bool) {
	if !chosen && c.IdleTimeout >= MinTimeout {
		c.VerdictTimeout = min(c.VerdictTimeout, c.IdleTimeout)
	}
}

// WithDefaults returns c with its zero values replaced by the defaults.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	orDefault(&c.MaxFlows, d.MaxFlows)
	orDefault(&c.IdleTimeout, d.IdleTimeout)
	orDefault(&c.MaxAge, d.MaxAge)
	orDefault(&c.ClosedTimeout, d.ClosedTimeout)
	orDefault(&c.UDPIdleTimeout, d.UDPIdleTimeout)
	orDefault(&c.VerdictTimeout, min(d.VerdictTimeout, c.IdleTimeout)) // never past the idle timeout
	if c.TLSPorts == nil {
		c.TLSPorts = d.TLSPorts
	}
	orDefault(&c.HandshakeLimit, d.HandshakeLimit)
	orDefault(&c.ScanLimit, d.ScanLimit)
	orDefault(&c.MaxPending, d.MaxPending)
	return c
}

// Validate reports every setting out of its bounds (a *bounds.Error
// each). Zero values are out of bounds: NewTable fills them with the
// defaults first (WithDefaults), a configuration file does not.
func (c Config) Validate() error {
	var errs []error
	bounds.Int(&errs, "MaxFlows", c.MaxFlows, 1, MaxMaxFlows)
	bounds.Int(&errs, "MaxRemembered", c.MaxRemembered, 0, MaxMaxRemembered)
	bounds.Duration(&errs, "IdleTimeout", c.IdleTimeout, MinTimeout, MaxTimeout)
	bounds.Duration(&errs, "MaxAge", c.MaxAge, MinTimeout, MaxTimeout)
	bounds.Duration(&errs, "ClosedTimeout", c.ClosedTimeout, MinTimeout, MaxTimeout)
	bounds.Duration(&errs, "UDPIdleTimeout", c.UDPIdleTimeout, MinTimeout, MaxTimeout)
	verdictMax := MaxTimeout
	if c.IdleTimeout >= MinTimeout {
		verdictMax = min(verdictMax, c.IdleTimeout) // a verdict before the idle timeout ends the flow
	}
	bounds.Duration(&errs, "VerdictTimeout", c.VerdictTimeout, MinTimeout, verdictMax)
	validPorts(&errs, "TLSPorts", c.TLSPorts)
	bounds.Int(&errs, "HandshakeLimit", c.HandshakeLimit, MinHandshakeLimit, MaxHandshakeLimit)
	bounds.Int(&errs, "ScanLimit", c.ScanLimit, 1, MaxScanLimit)
	bounds.Int(&errs, "MaxPending", c.MaxPending, MinPending, MaxPending)
	bounds.Int(&errs, "MemoryBudgetMB", c.MemoryBudgetMB, 0, MaxMemoryBudgetMB)
	return errors.Join(errs...)
}

// BudgetBytes is the memory budget in bytes: MemoryBudgetMB, or
// DefaultBudgetBytes when it is 0.
func (c Config) BudgetBytes() int64 {
	if c.MemoryBudgetMB > 0 {
		return int64(c.MemoryBudgetMB) << 20
	}
	return DefaultBudgetBytes()
}

// DefaultBudgetBytes is the memory budget of a sensor not given one: a
// sixteenth of the machine's memory, between 16 and 64 MiB (64 MiB
// when the machine's memory is unknown). With it, 100,000 flows each
// holding 2 x 30 KB out of order keep the process under 512 MiB.
func DefaultBudgetBytes() int64 {
	const lo, hi = 16 << 20, 64 << 20
	m := machineMemory()
	if m == 0 {
		return hi
	}
	return min(max(m/16, lo), hi)
}

// remembered is the bound of the memory of handed-out connections:
// MaxRemembered, or four times MaxFlows when it is 0.
func (c Config) remembered() int {
	if c.MaxRemembered > 0 {
		return c.MaxRemembered
	}
	return min(4*c.MaxFlows, MaxMaxRemembered)
}

// ErrConfig is wrapped by errors from NewTable for a bad Config.
var ErrConfig = errors.New("flow table config")

// orDefault sets an unset (zero) setting to its default.
func orDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}
