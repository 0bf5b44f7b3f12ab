package config

import (
	"time"

	"github.com/tlsentry/tlsentry/detector/scan"
)

// Scan is the TLS scan tracker's section (detector/scan): a client whose
// hellos of many stacks one server turns down within a short window is
// a scanner. Its bounds are those of scan.Config. Every key takes a
// restart (the tracker's state starts over).
type Scan struct {
	Enabled bool `yaml:"enabled"`
	// MinStacks is how many distinct client stacks (JA4) the server
	// refused in one window make a scan.
	MinStacks int           `yaml:"min_stacks"`
	Window    time.Duration `yaml:"window"`    // how long after a pair's first hello its stacks count together
	MaxPairs  int           `yaml:"max_pairs"` // client-server pairs followed at once (about 100 bytes each)
}

// DefaultScan is the scan section a file without one gets: on, the
// tracker's defaults.
func DefaultScan() Scan {
	return Scan{Enabled: true, MinStacks: scan.DefaultMinStacks, Window: scan.DefaultWindow, MaxPairs: scan.DefaultMaxPairs}
}

// Tracker is the tracker's configuration (checked by checkScan).
func (s Scan) Tracker() scan.Config {
	return scan.Config{MinStacks: s.MinStacks, Window: s.Window, MaxPairs: s.MaxPairs}
}

// checkScan checks the section with the tracker's own checks, each error
// at its key.
func (c *Config) checkScan(l *errorList) {
	s := c.Scan
	// Zero is the tracker's "default": here it is a value, out of range.
	if s.MaxPairs < 16 || s.MaxPairs > 1<<24 {
		l.add("scan.max_pairs", "%d is out of range (16-%d)", s.MaxPairs, 1<<24)
	}
	cfg := s.Tracker()
	if cfg.MinStacks == 0 {
		cfg.MinStacks = -1
	}
	if cfg.Window == 0 {
		cfg.Window = -1
	}
	cfg.MaxPairs = scan.DefaultMaxPairs // checked above
	l.addFieldErrors(cfg.Validate(), "scan", scanKeys)
}

// scanKeys maps the tracker's field names (in its errors) to keys.
var scanKeys = map[string]string{"min stacks": "scan.min_stacks", "window": "scan.window", "max pairs": "scan.max_pairs"}
