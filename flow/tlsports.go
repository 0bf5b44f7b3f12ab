package flow

import (
	"slices"

	"github.com/tlsentry/tlsentry/internal/bounds"
)

// defaultTLSPorts are the well-known server ports of TLS services: HTTPS
// and its alternates (443, 8443, 9443), SMTPS (465), IMAPS (993), POP3S
// (995), DNS over TLS (853), LDAPS (636), FTPS (989, 990), TELNETS (992),
// IRCS (994), SIP-TLS (5061), MQTT over TLS (8883). The one list of them:
// the flow table decides early on them (Config.TLSPorts) and the
// detector's evidence judges a client that does not speak TLS to one.
var defaultTLSPorts = []int{443, 8443, 465, 993, 995, 853, 636, 989, 990, 992, 994, 5061, 8883, 9443}

// DefaultTLSPorts returns the default Config.TLSPorts (a copy).
func DefaultTLSPorts() []int { return slices.Clone(defaultTLSPorts) }

// IsDefaultTLSPort reports whether port is one of DefaultTLSPorts.
func IsDefaultTLSPort(port uint16) bool { return defaultTLSPortSet.has(port) }

var defaultTLSPortSet = newPortBits(defaultTLSPorts)

// portBits is a set of ports, one bit each (8 KiB): a lookup per new
// flow's first payload, kept off the map.
type portBits [65536 / 64]uint64

func newPortBits(ports []int) *portBits {
	b := new(portBits)
	for _, p := range ports {
		if p > 0 && p <= 65535 {
			b[p/64] |= 1 << (p % 64)
		}
	}
	return b
}

func (b *portBits) has(p uint16) bool { return b[p/64]&(1<<(p%64)) != 0 }

// validPorts adds an error for a port out of 1-65535 or given twice.
func validPorts(errs *[]error, field string, ports []int) {
	seen := map[int]bool{}
	for _, p := range ports {
		switch {
		case p < 1 || p > 65535:
			bounds.Add(errs, field, "port %d is out of range (1-65535)", p)
		case seen[p]:
			bounds.Add(errs, field, "port %d is given twice", p)
		}
		seen[p] = true
	}
}
