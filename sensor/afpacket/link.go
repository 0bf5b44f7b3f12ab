//go:build linux

package afpacket

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"
)

// What the kernel does to the capture's sockets, and so what the link
// watcher does:
//
//   - The interface goes down (ip link set down): each socket is taken
//     out of the device's receive path and out of its fanout group, and
//     its error is set (ENETDOWN), so polls fail. Its ring, filter,
//     promiscuous membership and group id stay. The worker reads the
//     error (socket.recover) and goes on polling; when the interface
//     comes up, the kernel puts the sockets back, in their order in the
//     group, so each flow's packets reach the same worker as before.
//   - The interface loses its carrier: nothing happens to the sockets;
//     nothing arrives.
//   - The interface is removed: as down, then the sockets are unbound
//     (their device index becomes -1) and lose their promiscuous
//     membership. A device made again with the same name is another
//     device: the sockets must be replaced, and the fanout group refuses
//     sockets of the new device while sockets of the old one are open in
//     it. So every worker gives its socket back first, and only then are
//     new ones opened (filter, promiscuous membership and group
//     included) and handed out.

// Backoff of the looks at a link that is not up (netlink's messages
// about link changes cut a wait short), and the look at one that is.
const (
	linkRetryMin = 100 * time.Millisecond
	linkRetryMax = 5 * time.Second
	linkLookUp   = 5 * time.Second
)

// linkLog bounds the link lines per capture: a link that flaps all the
// time says so in a few lines a minute, with the count of those left out.
const (
	linkLogWindow = time.Minute
	linkLogLines  = 10
)

// linkStatus is the capture's LinkStats, shared with Stats.
type linkStatus struct {
	mu       sync.Mutex
	state    LinkState
	since    time.Time
	outage   time.Time // when the link last left LinkUp (or the capture opened without it)
	flaps    uint64
	downDone time.Duration // time not up, spells that ended
	reopens  uint64
}

func (s *linkStatus) init(state LinkState, now time.Time) {
	s.mu.Lock()
	s.state, s.since, s.outage = state, now, now
	s.mu.Unlock()
}

// set moves to state at now; it returns the state before and, when the
// link comes up, how long it was not.
func (s *linkStatus) set(state LinkState, now time.Time) (was LinkState, outage time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	was = s.state
	if state == was {
		return was, 0
	}
	switch {
	case was == LinkUp:
		s.flaps++
		s.outage = now
	case state == LinkUp:
		outage = now.Sub(s.outage)
	}
	if was != LinkUp {
		s.downDone += now.Sub(s.since)
	}
	s.state, s.since = state, now
	return was, outage
}

func (s *linkStatus) snapshot(now time.Time) LinkStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := LinkStats{State: s.state, Since: s.since, Flaps: s.flaps, Down: s.downDone, Reopens: s.reopens}
	if s.state != LinkUp {
		st.Down += now.Sub(s.since)
	}
	return st
}

// backoff doubles a wait from min to max.
type backoff struct{ cur time.Duration }

func (b *backoff) next() time.Duration {
	b.cur = min(max(2*b.cur, linkRetryMin), linkRetryMax)
	return b.cur
}

func (b *backoff) reset() { b.cur = 0 }

// lineLimiter lets linkLogLines lines through per window.
type lineLimiter struct {
	start    time.Time
	n        int
	unlogged int
}

// allow reports whether a line may be written at now, and how many were
// held back before it.
func (l *lineLimiter) allow(now time.Time) (ok bool, unlogged int) {
	if now.Sub(l.start) >= linkLogWindow || now.Before(l.start) {
		l.start, l.n = now, 0
	}
	if l.n >= linkLogLines {
		l.unlogged++
		return false, 0
	}
	l.n++
	unlogged, l.unlogged = l.unlogged, 0
	return true, unlogged
}

// linkWatch is the link watcher's own state, on its goroutine only.
type linkWatch struct {
	log       *zap.Logger
	limit     lineLimiter
	back      backoff
	lastErr   string // the last open failure logged, and when
	lastErrAt time.Time
	retiring  bool // the sockets were asked back; said once per replacement
}

func (lw *linkWatch) line(level func(string, ...zap.Field), msg string, fields ...zap.Field) {
	ok, unlogged := lw.limit.allow(time.Now())
	if !ok {
		return
	}
	if unlogged > 0 {
		fields = append(fields, zap.Int("unlogged_link_lines", unlogged))
	}
	level(msg, fields...)
}

// watchLink runs beside the workers until stopped: it follows the
// interface's state, takes the sockets back when the device they are
// bound to is gone (or one of them failed), and opens new ones when the
// interface is there and up. Workers wake it when a socket fails or is
// given back; netlink, when any link of the namespace changes.
func (c *Capture) watchLink(stopped <-chan struct{}, wake <-chan struct{}) {
	lw := &linkWatch{log: c.Log}
	if lw.log == nil {
		lw.log = zap.NewNop()
	}
	lw.log = lw.log.With(zap.String("interface", c.cfg.Interface))
	changed := make(chan struct{}, 1)
	if c.events != nil {
		var listening sync.WaitGroup
		listening.Go(func() { c.events.watch(changed) })
		defer func() {
			c.events.close() // ends watch
			listening.Wait()
		}()
	}
	timer := time.NewTimer(0) // a first look at once: the link may be waited for
	defer timer.Stop()
	for {
		select {
		case <-stopped:
			return
		case <-wake:
		case <-changed:
		case <-timer.C:
		}
		timer.Reset(c.look(lw))
	}
}

// look brings the sockets and the state in line with the interface and
// returns when to look again.
func (c *Capture) look(lw *linkWatch) time.Duration {
	now := time.Now()
	info, err := c.ns.link(c.cfg.Interface)
	if err != nil {
		lw.openFailed(fmt.Errorf("looking at the interface: %w", err), now)
		return lw.back.next()
	}
	holding := 0
	for _, w := range c.workers {
		if w.holding.Load() {
			holding++
		}
	}
	state := info.state
	switch {
	case holding > 0 && (info.state == LinkAbsent || info.index != c.boundIndex || holding < len(c.workers)):
		// The device is gone, or a socket failed: every socket comes back
		// before new ones can join the group.
		c.retireAll(lw, info)
		if state == LinkUp {
			state = LinkReopening
		}
	case holding == 0 && (info.state == LinkUp || info.state == LinkNoCarrier):
		// Every worker may have given its failed socket back before a look
		// saw one still held: the failure is said here then.
		if why := c.lostSockets(); len(why) > 0 && !lw.retiring {
			lw.sayLost(why)
		}
		if err := c.reopen(info); err != nil {
			lw.openFailed(err, now)
			if state == LinkUp {
				state = LinkReopening
			}
		} else {
			lw.retiring = false
		}
	}
	if c.sawDown.Swap(false) && state == LinkUp && c.status.snapshot(now).State == LinkUp {
		// Down and up again between two looks (no netlink message heard).
		c.status.set(LinkDown, now)
		c.status.set(LinkUp, now)
		lw.line(lw.log.Warn, "capture: link went down and came back between two looks; flows in the tables were kept")
	}
	c.setState(lw, state, now)
	if state == LinkUp {
		lw.back.reset()
		return linkLookUp
	}
	return lw.back.next()
}

// retireAll asks every worker that holds a socket to give it back (again
// at each look: a request can cross a hand-over). It says why once per
// replacement.
func (c *Capture) retireAll(lw *linkWatch, info linkInfo) {
	why := c.lostSockets()
	for _, w := range c.workers {
		if w.holding.Load() {
			w.retire.Store(true)
		}
	}
	if lw.retiring {
		return
	}
	lw.retiring = true
	switch {
	case len(why) > 0:
		lw.sayLost(why)
	case info.state != LinkAbsent:
		lw.line(lw.log.Warn, "capture: the interface is a new device; replacing the sockets, flows in the tables are kept",
			zap.Int("old_index", c.boundIndex), zap.Int("new_index", info.index))
	}
}

// lostSockets takes the workers' socket failures, each distinct one once.
func (c *Capture) lostSockets() []error {
	var why []error
	for _, w := range c.workers {
		if p := w.lost.Swap(nil); p != nil && !slices.ContainsFunc(why, func(e error) bool { return e.Error() == (*p).Error() }) {
			why = append(why, *p)
		}
	}
	return why
}

func (lw *linkWatch) sayLost(why []error) {
	lw.line(lw.log.Warn, "capture: a socket failed; replacing the sockets, flows in the tables are kept",
		zap.Error(errors.Join(why...)))
}

// reopen opens new sockets on the interface, in its namespace, and hands
// them to the workers (which hold none).
func (c *Capture) reopen(info linkInfo) error {
	var socks []*socket
	err := c.ns.do(func() error {
		lt, err := c.ns.linkType(c.cfg.Interface)
		if err != nil {
			return err
		}
		socks, err = openSockets(c.cfg, lt, c.fanout)
		return err
	})
	if err != nil {
		return err
	}
	c.boundIndex = info.index
	if socks[0].ifindex > 0 {
		c.boundIndex = socks[0].ifindex
	}
	for i, w := range c.workers {
		w.lost.Store(nil)
		w.holding.Store(true)
		w.give <- socks[i] // empty: the worker gave its last socket back
	}
	if c.opened {
		c.status.mu.Lock()
		c.status.reopens++
		c.status.mu.Unlock()
	}
	c.opened = true
	return nil
}

// openFailed logs a failure to open the sockets or to look at the
// interface: when it differs from the last one, or a minute later.
func (lw *linkWatch) openFailed(err error, now time.Time) {
	if msg := err.Error(); msg != lw.lastErr || now.Sub(lw.lastErrAt) >= linkLogWindow {
		lw.lastErr, lw.lastErrAt = msg, now
		lw.line(lw.log.Warn, "capture: cannot open the sockets on the interface yet; retrying", zap.Error(err),
			zap.Duration("next_try_within", linkRetryMax))
	}
}

// setState records a change of state and logs it.
func (c *Capture) setState(lw *linkWatch, state LinkState, now time.Time) {
	was, outage := c.status.set(state, now)
	if was == state {
		return
	}
	lw.lastErr = ""
	if state == LinkUp {
		lw.line(lw.log.Info, "capture: link up, capturing", zap.Stringer("was", was), zap.Duration("down_for", outage.Round(time.Millisecond)))
		return
	}
	lw.line(lw.log.Warn, "capture: link "+state.String()+": waiting for it; flows in the tables are kept and time out as usual",
		zap.Stringer("state", state), zap.Stringer("was", was))
}
