package beacon

import (
	"errors"
	"fmt"
	"time"
)

// Key says what makes two connections the same pair: the client address
// always, and the destination in one of three ways.
type Key uint8

const (
	// KeyServer pairs a client with a server address and port.
	KeyServer Key = iota
	// KeySNI pairs a client with a server name (SNI), so a destination
	// behind many addresses (a CDN, fast flux) is one pair; a connection
	// without SNI falls back to the server address and port.
	KeySNI
	// KeyJA4Server pairs a client's TLS stack (JA4) with a server address
	// and port, so an implant beside a browser on the same host is a pair
	// of its own; an empty JA4 is a stack of its own.
	KeyJA4Server
)

var keyNames = [...]string{KeyServer: "server", KeySNI: "sni", KeyJA4Server: "ja4+server"}

// String is the key's name as configuration files write it.
func (k Key) String() string {
	if int(k) < len(keyNames) {
		return keyNames[k]
	}
	return fmt.Sprintf("Key(%d)", k)
}

// ParseKey reads a key name: "server", "sni" or "ja4+server".
func ParseKey(s string) (Key, error) {
	for k, name := range keyNames {
		if s == name {
			return Key(k), nil
		}
	}
	return 0, fmt.Errorf("beacon: key %q is not one of server, sni, ja4+server", s)
}

// MarshalText writes the key's name (for configuration files).
func (k Key) MarshalText() ([]byte, error) {
	if int(k) >= len(keyNames) {
		return nil, fmt.Errorf("beacon: %v is not a key", k)
	}
	return []byte(k.String()), nil
}

// UnmarshalText reads a key's name, as ParseKey.
func (k *Key) UnmarshalText(b []byte) error {
	v, err := ParseKey(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// Config sets the tracker's bounds and its threshold. A zero field takes
// its default (Validate fills them in); the defaults are what the tests
// measured.
type Config struct {
	Key Key
	// MaxPairs bounds the pairs tracked at once; when full, a new pair
	// takes the slot of the lightest of a few sampled pairs (stale first,
	// then fewest connections, then least recently seen). Each pair costs
	// about 200 bytes plus 24 per ring entry: its ring grows with its
	// connections from 4 entries to RingLen (1.4 KB with a full default
	// ring: at most 88 MiB for the default 65536 pairs, allocated as they
	// fill; a few MiB for 65536 pairs of one connection).
	MaxPairs int
	// MaxDestinations bounds the destinations whose distinct clients are
	// counted (prevalence), about 190 bytes each. Default MaxPairs.
	MaxDestinations int
	// RingLen is how many recent connections a pair keeps (start time and
	// sizes); the statistics are over these. Default 48.
	RingLen int
	// Window is how far back a pair's connections count, in packet time;
	// also the length of a finding's window (one finding per pair per
	// window) and of the prevalence counts. Default 24h.
	Window time.Duration
	// MinConns is the number of connections in the window a pair needs
	// before it is scored. Default 16.
	MinConns int
	// FullConns is the number of connections at which the count part of
	// the score is full. Default 24.
	FullConns int
	// MinPeriod is the shortest period taken for a beacon: pairs whose
	// median interval is shorter (a browser's parallel connections, a
	// download loop) are not scored. Default 500ms.
	MinPeriod time.Duration
	// EvalEvery is how many new connections a scored pair waits between
	// two scorings. Default 4.
	EvalEvery int
	// PopularClients is the number of distinct clients at which a
	// destination counts as fully popular: the prevalence part falls from
	// 1 (only this client) to 0 there. Default 8.
	PopularClients int
	// Threshold is the score (0 to 1) at which a pair is reported; it can
	// be changed at run time with Tracker.SetThreshold. Default 0.6.
	Threshold float64
	// Seed keys the hashes and the eviction sampling; the same seed and
	// the same events give the same findings. 0 means a fixed default.
	Seed uint64
}

// Defaults and ranges.
const (
	DefaultMaxPairs       = 65536
	DefaultRingLen        = 48
	DefaultWindow         = 24 * time.Hour
	DefaultMinConns       = 16
	DefaultFullConns      = 24
	DefaultMinPeriod      = 500 * time.Millisecond
	DefaultEvalEvery      = 4
	DefaultPopularClients = 8
	DefaultThreshold      = 0.6
	// BenignFindings of BenignPairs client-destination pairs of the
	// public benign captures (the 217 shared captures, each on its own:
	// bench/beacon_benign.sh) reach DefaultThreshold: how often a
	// benign pair passes for a beacon, which weighs a beacon's flows.
	BenignFindings = 0
	BenignPairs    = 846

	maxTableSize = 1 << 24
	minTableSize = 16
	maxRingLen   = 1024
	minRingLen   = 8
	minMinConns  = 4
	minWindow    = time.Minute
	maxWindow    = 30 * 24 * time.Hour
	defaultSeed  = 0x9e3779b97f4a7c15
)

// Validate fills in the defaults of zero fields and checks every range; a
// tracker is built only from a valid Config. Errors name the field.
func (c *Config) Validate() error {
	if c.MaxPairs == 0 {
		c.MaxPairs = DefaultMaxPairs
	}
	if c.MaxDestinations == 0 {
		c.MaxDestinations = c.MaxPairs
	}
	if c.RingLen == 0 {
		c.RingLen = DefaultRingLen
	}
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.MinConns == 0 {
		c.MinConns = min(DefaultMinConns, c.RingLen)
	}
	if c.FullConns == 0 {
		c.FullConns = max(DefaultFullConns, c.MinConns)
	}
	if c.MinPeriod == 0 {
		c.MinPeriod = DefaultMinPeriod
	}
	if c.EvalEvery == 0 {
		c.EvalEvery = DefaultEvalEvery
	}
	if c.PopularClients == 0 {
		c.PopularClients = DefaultPopularClients
	}
	if c.Threshold == 0 {
		c.Threshold = DefaultThreshold
	}
	if c.Seed == 0 {
		c.Seed = defaultSeed
	}
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("beacon: %s: %s", field, fmt.Sprintf(format, args...)))
	}
	if int(c.Key) >= len(keyNames) {
		bad("key", "%d is not a key (server, sni or ja4+server)", c.Key)
	}
	if c.MaxPairs < minTableSize || c.MaxPairs > maxTableSize {
		bad("max pairs", "%d is outside %d-%d", c.MaxPairs, minTableSize, maxTableSize)
	}
	if c.MaxDestinations < minTableSize || c.MaxDestinations > maxTableSize {
		bad("max destinations", "%d is outside %d-%d", c.MaxDestinations, minTableSize, maxTableSize)
	}
	if c.RingLen < minRingLen || c.RingLen > maxRingLen {
		bad("ring length", "%d is outside %d-%d", c.RingLen, minRingLen, maxRingLen)
	}
	if c.Window < minWindow || c.Window > maxWindow {
		bad("window", "%v is outside %v-%v", c.Window, minWindow, maxWindow)
	}
	if c.MinConns < minMinConns || c.MinConns > c.RingLen {
		bad("min connections", "%d is outside %d-%d (the ring length)", c.MinConns, minMinConns, c.RingLen)
	}
	if c.FullConns < c.MinConns || c.FullConns > 1<<20 {
		bad("full connections", "%d is outside %d (min connections)-%d", c.FullConns, c.MinConns, 1<<20)
	}
	if c.MinPeriod < time.Millisecond || c.MinPeriod > c.Window/time.Duration(max(c.MinConns, 1)) {
		bad("min period", "%v is outside 1ms-%v (the window over min connections)", c.MinPeriod, c.Window/time.Duration(max(c.MinConns, 1)))
	}
	if c.EvalEvery < 1 || c.EvalEvery > c.RingLen {
		bad("eval every", "%d is outside 1-%d (the ring length)", c.EvalEvery, c.RingLen)
	}
	if c.PopularClients < 2 || c.PopularClients > kmvSize {
		bad("popular clients", "%d is outside 2-%d", c.PopularClients, kmvSize)
	}
	if err := checkThreshold(c.Threshold); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func checkThreshold(x float64) error {
	if !(x > 0 && x <= 1) { // also refuses NaN
		return fmt.Errorf("beacon: threshold: %v is outside (0, 1]", x)
	}
	return nil
}
