package ratelimit

import (
	"container/list"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/tlsentry/tlsentry/internal/bounds"
)

// Track says which alerts of a signature share a count.
type Track string

// Tracks, as Suricata's threshold.config names them (by_fingerprint and
// by_signature are tlsentry's: the client's JA4 or JA3, and one count for
// the signature on the whole network).
const (
	BySrc         Track = "by_src"
	ByDst         Track = "by_dst"
	ByBoth        Track = "by_both"
	ByFingerprint Track = "by_fingerprint"
	BySignature   Track = "by_signature"
)

// Tracks lists the tracks a rule may name.
var Tracks = []Track{BySrc, ByDst, ByBoth, ByFingerprint, BySignature}

// Rule limits the alerts of one signature (SignatureID 0: of every
// signature that has no rule of its own) to the first Count of each
// Window, per track.
type Rule struct {
	SignatureID int           `yaml:"signature_id"`
	Track       Track         `yaml:"track"`
	Count       int           `yaml:"count"`
	Window      time.Duration `yaml:"window"`
}

// Config is the rules and the bound on the tracks remembered: the alerts
// section of the daemon's configuration embeds it.
type Config struct {
	Rules      []Rule `yaml:"rate_limit" reload:"hot"`
	MaxTracked int    `yaml:"max_tracked" reload:"hot"`
}

// Bounds of a Config.
const (
	MaxCount      = 1 << 20
	MaxWindow     = 7 * 24 * time.Hour
	MaxMaxTracked = 1 << 24
	DefaultMax    = 1 << 16
)

// DefaultConfig holds back repeats of a signature between the same two
// hosts: the first alert of each minute is written.
func DefaultConfig() Config {
	return Config{Rules: []Rule{{Track: ByBoth, Count: 1, Window: time.Minute}}, MaxTracked: DefaultMax}
}

// Validate reports every problem (a *bounds.Error each).
func (c Config) Validate() error {
	var errs []error
	seen := map[int]bool{}
	for i, r := range c.Rules {
		field := fmt.Sprintf("Rules[%d]", i)
		if r.SignatureID < 0 {
			bounds.Add(&errs, field, "signature_id %d: 0 for every signature, or one signature's id", r.SignatureID)
		} else if seen[r.SignatureID] {
			bounds.Add(&errs, field, "signature_id %d has a rule already", r.SignatureID)
		}
		seen[r.SignatureID] = true
		if !slices.Contains(Tracks, r.Track) {
			bounds.Add(&errs, field, "track %q is not one of by_src, by_dst, by_both, by_fingerprint, by_signature", r.Track)
		}
		if r.Count < 1 || r.Count > MaxCount {
			bounds.Add(&errs, field, "count %d is out of range (1-%d)", r.Count, MaxCount)
		}
		if r.Window < time.Second || r.Window > MaxWindow {
			bounds.Add(&errs, field, "window %s is out of range (1s-%s)", bounds.Short(r.Window), bounds.Short(MaxWindow))
		}
	}
	bounds.Int(&errs, "MaxTracked", c.MaxTracked, 1, MaxMaxTracked)
	return errors.Join(errs...)
}

// Alert is what the limiter looks at in an alert.
type Alert struct {
	SignatureID int
	Src, Dst    netip.Addr
	Fingerprint string // the client's JA4 (or JA3), empty when none
	Time        time.Time
}

// Limiter decides which alerts are written. It is safe for concurrent use.
type Limiter struct {
	mu     sync.Mutex
	cfg    Config
	tracks map[key]*list.Element
	lru    list.List // *track, least recently used at the front
	stats  Stats
}

type key struct {
	sig      int
	src, dst netip.Addr
	print    string
}

type track struct {
	key
	windowEnd time.Time
	written   int    // in the current window
	held      uint64 // held back since the last one written
}

// Stats counts what a Limiter did.
type Stats struct {
	Written, Held uint64 // alerts let through, held back
	Forgotten     uint64 // tracks that gave way to newer ones (their held-back counts were said in Held)
	Tracked       int    // tracks remembered now
}

// New makes a limiter with cfg, which must be valid.
func New(cfg Config) (*Limiter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Limiter{cfg: cfg, tracks: map[key]*list.Element{}}, nil
}

// SetConfig replaces the rules (for a reload); the counts of the tracks
// remembered stay. cfg must be valid.
func (l *Limiter) SetConfig(cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cfg = cfg
	for l.lru.Len() > cfg.MaxTracked {
		l.forget()
	}
	return nil
}

// rule is the rule for a signature; ok false when none applies.
func (c *Config) rule(sig int) (Rule, bool) {
	var all Rule
	found := false
	for _, r := range c.Rules {
		if r.SignatureID == sig {
			return r, true
		}
		if r.SignatureID == 0 {
			all, found = r, true
		}
	}
	return all, found
}

// Allow says whether an alert is written and, when it is, how many of its
// track were held back since the last one written.
func (l *Limiter) Allow(a Alert) (write bool, heldBefore uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.cfg.rule(a.SignatureID)
	if !ok {
		l.stats.Written++
		return true, 0
	}
	k := key{sig: a.SignatureID}
	switch r.Track {
	case BySrc:
		k.src = a.Src
	case ByDst:
		k.dst = a.Dst
	case ByBoth:
		k.src, k.dst = a.Src, a.Dst
	case ByFingerprint:
		k.print = a.Fingerprint
	}
	var t *track
	if e, ok := l.tracks[k]; ok {
		t = e.Value.(*track)
		l.lru.MoveToBack(e)
	} else {
		if l.lru.Len() >= l.cfg.MaxTracked {
			l.forget()
		}
		t = &track{key: k}
		l.tracks[k] = l.lru.PushBack(t)
	}
	if !a.Time.Before(t.windowEnd) {
		t.windowEnd, t.written = a.Time.Add(r.Window), 0
	}
	if t.written >= r.Count {
		t.held++
		l.stats.Held++
		return false, 0
	}
	t.written++
	heldBefore, t.held = t.held, 0
	l.stats.Written++
	return true, heldBefore
}

// forget drops the least recently used track.
func (l *Limiter) forget() {
	e := l.lru.Front()
	if e == nil {
		return
	}
	l.lru.Remove(e)
	delete(l.tracks, e.Value.(*track).key)
	l.stats.Forgotten++
}

// Stats returns the counters so far.
func (l *Limiter) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.stats
	st.Tracked = l.lru.Len()
	return st
}
