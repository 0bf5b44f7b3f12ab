package bpf

import (
	"errors"
	"fmt"

	"github.com/tlsentry/tlsentry/internal/bounds"
)

// Defaults for Config.
const (
	// DefaultBudget is the per-direction byte budget: the flow table keeps a
	// 1,024-byte prefix and each direction's handshake messages up to
	// 16 KiB, so 16 KiB plus 1 KiB of slack covers both.
	DefaultBudget = 17 << 10
	// DefaultUDPPackets is the per-direction datagram budget of a UDP
	// flow: a QUIC handshake's Initial packets come first (a post-quantum
	// ClientHello takes two or three, a Retry or Version Negotiation adds
	// a round), and the flow table needs nothing after the ServerHello.
	DefaultUDPPackets = 16
	// DefaultMapEntries sizes the kernel flow map at twice the flow
	// table's default of 65,536 flows: the map also holds closed and
	// finished connections until the LRU evicts them. An entry costs about
	// 120 bytes of kernel memory.
	DefaultMapEntries = 1 << 17
)

// Limits Validate enforces.
const (
	// MaxBudget keeps budgets well inside half the sequence space, where
	// offsets before a direction's first byte wrap to large values and so
	// are over budget.
	MaxBudget = 1 << 30
	// MaxUDPPackets bounds the datagram budget (the counter is 32 bits).
	MaxUDPPackets = 1 << 20
	// MaxMapEntries bounds the kernel memory the flow map may take (about
	// 2 GiB at this size).
	MaxMapEntries = 1 << 24
)

// Config sets what the filter passes.
type Config struct {
	// Ports are the watched ports, TCP and UDP: segments and datagrams
	// from or to one of them are candidates; all others are dropped.
	Ports []uint16
	// MapEntries is the size of the kernel's flow map (an LRU hash).
	MapEntries uint32
	// ClientBudget and ServerBudget are how many bytes of each
	// connection's stream pass, towards a watched port and from it.
	ClientBudget, ServerBudget uint32
	// UDPPackets is how many datagrams of each direction of a UDP flow
	// pass (UDP flows are tracked for QUIC, whose handshake starts in the
	// first few).
	UDPPackets uint32
}

// DefaultConfig watches ports with the default budgets and map size.
func DefaultConfig(ports ...uint16) Config {
	return Config{
		Ports:        ports,
		MapEntries:   DefaultMapEntries,
		ClientBudget: DefaultBudget,
		ServerBudget: DefaultBudget,
		UDPPackets:   DefaultUDPPackets,
	}
}

// ErrInvalidConfig is wrapped by the errors of Validate.
var ErrInvalidConfig = errors.New("invalid socket filter config")

// Validate reports every problem with c (a *bounds.Error each, wrapped in
// ErrInvalidConfig).
func (c Config) Validate() error {
	var errs []error
	if len(c.Ports) == 0 {
		bounds.Add(&errs, "Ports", "no ports to watch")
	}
	for i, p := range c.Ports {
		if p == 0 {
			bounds.Add(&errs, fmt.Sprintf("Ports[%d]", i), "port 0 cannot be watched")
		}
	}
	bounds.Int(&errs, "MapEntries", int(c.MapEntries), 1, MaxMapEntries)
	bounds.Int(&errs, "ClientBudget", int(c.ClientBudget), 1, MaxBudget)
	bounds.Int(&errs, "ServerBudget", int(c.ServerBudget), 1, MaxBudget)
	bounds.Int(&errs, "UDPPackets", int(c.UDPPackets), 1, MaxUDPPackets)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return nil
}

// kernelConfig is the value of the program's config map.
func (c Config) kernelConfig() filterConfig {
	kc := filterConfig{ClientBudget: c.ClientBudget, ServerBudget: c.ServerBudget, UdpPackets: c.UDPPackets}
	for _, p := range c.Ports {
		kc.Ports[p>>6] |= 1 << (p & 63)
	}
	return kc
}
