package config

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Holder holds the configuration in effect and replaces it on reload.
// Current is safe to call from any goroutine at any time (an atomic load);
// Reload calls are serialised. The Configs it hands out are shared: treat
// them as read-only.
type Holder struct {
	cur   atomic.Pointer[Config]
	last  atomic.Pointer[ReloadResult]
	mu    sync.Mutex // one reload at a time
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

// Reload loads the file at path, validates it and, only if all is well,
// swaps it in; on any error the configuration in effect stays as it was.
// The swapped-in configuration has the new values of the hot keys (listed
// in changedHot) and keeps the running values of the restart-only keys:
// those that differ in the file are listed in needsRestart, and are listed
// again on every reload until the sensor restarts with them.
func (h *Holder) Reload(path string) (changedHot, needsRestart []string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	defer func() {
		h.last.Store(&ReloadResult{Time: h.now(), Err: err, Hot: changedHot, Restart: needsRestart})
	}()
	next, err := Load(path)
	if err != nil {
		return nil, nil, err
	}
	running := h.cur.Load()
	changedHot, needsRestart = Diff(running, next)
	effective := withRunning(next, running)
	// The mix of new hot and running restart-only values must stand on
	// its own too.
	if err := effective.Validate(); err != nil {
		return nil, nil, errors.Join(errors.New("the new settings do not fit the ones that need a restart"), err)
	}
	if h.check != nil {
		if err := h.check(next); err != nil {
			return nil, nil, err
		}
	}
	h.cur.Store(effective)
	return changedHot, needsRestart, nil
}
