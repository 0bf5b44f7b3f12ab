package config

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Holder holds the configuration in effect and replaces it on reload, in
// two steps (Prepare, then Commit) so that the daemon can build what the
// new configuration needs before anything changes. Current is safe to
// call from any goroutine at any time (an atomic load); reloads are the
// caller's to serialise (the daemon's signal goroutine). The Configs it hands out are shared: treat
// them as read-only.
type Holder struct {
	cur   atomic.Pointer[Config]
	last  atomic.Pointer[ReloadResult]
	mu    sync.Mutex // guards commits and results
	check func(*Config) error
	now   func() time.Time
}

// ReloadResult is what the last Reload did.
type ReloadResult struct {
	Time    time.Time
	Err     error    // nil when the new configuration was swapped in
	Hot     []string // keys changed and now in effect
	Restart []string // keys whose new values wait for a restart
}

// NewHolder holds initial, which the caller has loaded and validated.
// check, if not nil, runs on every reloaded file's configuration (as the
// file has it, before restart-only keys are set back to their running
// values) for what only the daemon can judge: ValidateLive in live mode,
// an alert_rate the loaded model can resolve. An error from it fails the
// reload, so that a file the sensor could not restart with is refused at
// once.
func NewHolder(initial *Config, check func(*Config) error) *Holder {
	h := &Holder{check: check, now: time.Now}
	h.cur.Store(initial)
	return h
}

// Current returns the configuration in effect.
func (h *Holder) Current() *Config { return h.cur.Load() }

// LastReload returns the result of the last Reload, and false when there
// was none.
func (h *Holder) LastReload() (ReloadResult, bool) {
	r := h.last.Load()
	if r == nil {
		return ReloadResult{}, false
	}
	return *r, true
}

// Pending is a reloaded configuration that passed every check and waits
// to be swapped in: the daemon builds and opens what it needs for it
// first, and commits only when all of that worked.
type Pending struct {
	h *Holder
	// Config is what takes effect: the new values of the hot keys (listed
	// in Hot) and the running values of the restart-only keys, of which
	// those that differ in the file are listed in Restart (again on every
	// reload until the sensor restarts with them).
	Config       *Config
	Hot, Restart []string
}

// Prepare loads the file at path and validates it, without swapping
// anything in. On error the caller refuses the reload (Refused).
func (h *Holder) Prepare(path string) (*Pending, error) {
	next, err := Load(path)
	if err != nil {
		return nil, err
	}
	return h.PrepareConfig(next)
}

// PrepareConfig is Prepare for a configuration already loaded and
// validated: the file with fleet settings on top (WithSettings).
func (h *Holder) PrepareConfig(next *Config) (*Pending, error) {
	running := h.cur.Load()
	hot, restart := Diff(running, next)
	effective := withRunning(next, running)
	// The mix of new hot and running restart-only values must stand on
	// its own too.
	if err := effective.Validate(); err != nil {
		return nil, errors.Join(errors.New("the new settings do not fit the ones that need a restart"), err)
	}
	if h.check != nil {
		if err := h.check(next); err != nil {
			return nil, err
		}
	}
	return &Pending{h: h, Config: effective, Hot: hot, Restart: restart}, nil
}

// Commit swaps the pending configuration in. It cannot fail.
func (p *Pending) Commit() {
	h := p.h
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cur.Store(p.Config)
	h.last.Store(&ReloadResult{Time: h.now(), Hot: p.Hot, Restart: p.Restart})
}

// Refused records a reload that failed: the configuration in effect
// stays as it was.
func (h *Holder) Refused(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last.Store(&ReloadResult{Time: h.now(), Err: err})
}

// Reload is Prepare then, when all is well, Commit (or Refused): for a
// caller with nothing of its own to build for the new configuration.
func (h *Holder) Reload(path string) (changedHot, needsRestart []string, err error) {
	p, err := h.Prepare(path)
	if err != nil {
		h.Refused(err)
		return nil, nil, err
	}
	p.Commit()
	return p.Hot, p.Restart, nil
}
