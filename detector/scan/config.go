package scan

import (
	"errors"
	"fmt"
	"time"
)

// Config says what makes a scan. Zero fields take the defaults.
type Config struct {
	// MinStacks is how many distinct stacks the server refused within
	// Window make a scan (BenignMostRefused+1 to 64).
	MinStacks int
	// Window is how long after a pair's first hello its stacks count
	// together; the next hello after it starts a new count (1s to 1h).
	Window time.Duration
	// MaxPairs bounds the pairs followed at once, about 100 bytes each
	// (1 to 16777216); when full, the pair that came first gives way.
	MaxPairs int
}

const (
	// DefaultMinStacks is MinStacks' default: four times the most a
	// client-server pair shows in the public benign captures, nDPI's test
	// captures or the out-of-box sets (BenignMostRefused). testssl.sh has
	// 45 stacks refused by an OpenSSL server, nmap's ssl-enum-ciphers 29.
	DefaultMinStacks = 8
	// DefaultWindow is Window's default.
	DefaultWindow = time.Minute
	// DefaultMaxPairs is MaxPairs' default.
	DefaultMaxPairs = 1 << 16

	// BenignMostRefused is the most distinct refused stacks one pair of
	// the public benign captures shows within DefaultWindow (a client
	// falling back to an older version): MinStacks must be above it, so
	// that none of BenignPairs is a scan, whatever MinStacks says.
	BenignMostRefused = 2

	minStacksLow, minStacksHigh = BenignMostRefused + 1, maxStacks
)

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	if c.MinStacks == 0 {
		c.MinStacks = DefaultMinStacks
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.MaxPairs == 0 {
		c.MaxPairs = DefaultMaxPairs
	}
	return c
}

// Validate reports every field out of its range (after the defaults),
// each error naming its field ("scan: min stacks: ...").
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.MinStacks < minStacksLow || c.MinStacks > minStacksHigh {
		errs = append(errs, fmt.Errorf("scan: min stacks: %d is out of range (%d-%d: more than the %d refused stacks a benign pair shows)",
			c.MinStacks, minStacksLow, minStacksHigh, BenignMostRefused))
	}
	if c.Window < time.Second || c.Window > time.Hour {
		errs = append(errs, fmt.Errorf("scan: window: %v is out of range (1s-1h)", c.Window))
	}
	if c.MaxPairs < 1 || c.MaxPairs > 1<<24 {
		errs = append(errs, fmt.Errorf("scan: max pairs: %d is out of range (1-%d)", c.MaxPairs, 1<<24))
	}
	return errors.Join(errs...)
}
