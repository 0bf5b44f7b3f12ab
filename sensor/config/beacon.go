package config

import (
	"strconv"
	"strings"
	"time"

	"github.com/tlsentry/tlsentry/detector/beacon"
)

// Beacon is the beacon tracker's section (detector/beacon): it finds a
// client whose connections to one destination keep a rhythm, from every
// finished flow. Its bounds are those of beacon.Config (Tracker).
type Beacon struct {
	Enabled bool `yaml:"enabled"`
	// Key is what makes a pair with the client: server (address and
	// port), sni (the server name, else the address) or ja4+server.
	Key string `yaml:"key"`
	// Threshold is the score (0 to 1) at which a pair alerts.
	Threshold float64 `yaml:"threshold" reload:"hot"`
	// Window is how far back a pair's connections count, and the span of
	// one alert per pair (updates follow as its count doubles).
	Window         time.Duration `yaml:"window"`
	MinConnections int           `yaml:"min_connections"` // connections in the window before a pair is scored
	MinPeriod      time.Duration `yaml:"min_period"`      // shorter median intervals are not beacons
	MaxPairs       int           `yaml:"max_pairs"`       // pairs followed at once (about 1.4 KB each)
	// MaxDestinations bounds the destinations whose clients are counted
	// (prevalence), PopularClients the clients at which a destination
	// counts as polled by the whole network.
	MaxDestinations int `yaml:"max_destinations"`
	PopularClients  int `yaml:"popular_clients"`
	RingLength      int `yaml:"ring_length"` // latest connections a pair keeps
}

// DefaultBeacon is the beacon section a file without one gets: on, pairs
// of client and server address, the tracker's defaults.
func DefaultBeacon() Beacon {
	return Beacon{Enabled: true, Key: beacon.KeyServer.String(), Threshold: beacon.DefaultThreshold, Window: beacon.DefaultWindow,
		MinConnections: beacon.DefaultMinConns, MinPeriod: beacon.DefaultMinPeriod, MaxPairs: beacon.DefaultMaxPairs,
		MaxDestinations: beacon.DefaultMaxPairs, PopularClients: beacon.DefaultPopularClients, RingLength: beacon.DefaultRingLen}
}

// Tracker is the tracker's configuration (not validated: NewTracker and
// checkBeacon do that).
func (b Beacon) Tracker() beacon.Config {
	key, _ := beacon.ParseKey(b.Key) // checked by checkBeacon
	return beacon.Config{Key: key, Threshold: b.Threshold, Window: b.Window, MinConns: b.MinConnections,
		MinPeriod: b.MinPeriod, MaxPairs: b.MaxPairs, MaxDestinations: b.MaxDestinations,
		PopularClients: b.PopularClients, RingLen: b.RingLength}
}

// checkBeacon checks the section: each value in its range, then the
// tracker's own checks (which relate them).
func (c *Config) checkBeacon(l *errorList) {
	b := c.Beacon
	before := len(l.errs) + l.more
	if _, err := beacon.ParseKey(b.Key); err != nil {
		l.add("beacon.key", "%q is not one of server, sni, ja4+server", b.Key)
	}
	if !(b.Threshold > 0 && b.Threshold <= 1) {
		l.add("beacon.threshold", "%s is out of range (more than 0, at most 1)", strconv.FormatFloat(b.Threshold, 'g', -1, 64))
	}
	for _, v := range []struct {
		path      string
		val       int
		low, high int
	}{
		{"beacon.max_pairs", b.MaxPairs, 16, 1 << 24},
		{"beacon.max_destinations", b.MaxDestinations, 16, 1 << 24},
		{"beacon.ring_length", b.RingLength, 8, 1024},
		{"beacon.min_connections", b.MinConnections, 4, max(4, b.RingLength)},
		{"beacon.popular_clients", b.PopularClients, 2, 16},
	} {
		if v.val < v.low || v.val > v.high {
			l.add(v.path, "%d is out of range (%d-%d)", v.val, v.low, v.high)
		}
	}
	if b.Window < time.Minute || b.Window > 30*24*time.Hour {
		l.add("beacon.window", "%v is out of range (1m-720h)", b.Window)
	}
	if len(l.errs)+l.more > before {
		return // the tracker would say the same again
	}
	cfg := b.Tracker()
	l.addFieldErrors(cfg.Validate(), "beacon", beaconKeys)
}

// addFieldErrors adds a tracker's validation errors, each at its key: the
// tracker says "beacon: min period: ..." (section, field in words, what
// is wrong), keys maps the words to the key the file has; an error it
// does not map stays whole, at the section.
func (l *errorList) addFieldErrors(err error, section string, keys map[string]string) {
	if err == nil {
		return
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		field, msg, ok := strings.Cut(strings.TrimPrefix(e.Error(), section+": "), ": ")
		path, known := keys[field]
		if !ok || !known {
			path, msg = section, e.Error()
		}
		l.add(path, "%s", msg)
	}
}

// beaconKeys maps the tracker's field names (in its errors) to keys.
var beaconKeys = map[string]string{
	"key": "beacon.key", "max pairs": "beacon.max_pairs", "max destinations": "beacon.max_destinations",
	"ring length": "beacon.ring_length", "window": "beacon.window", "min connections": "beacon.min_connections",
	"min period": "beacon.min_period", "popular clients": "beacon.popular_clients", "threshold": "beacon.threshold",
}
