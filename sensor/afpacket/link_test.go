//go:build linux

package afpacket

import (
	"strings"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/netnstest"
)

// TestLiveCaptureKeepsFlowsAcrossLinkDown takes the captured interface
// down for 3 s during traffic: the capture keeps its sockets and its
// tables (which keep ticking), and every connection made before and
// after, and the one open across it, comes out once, whole, from the
// worker that had it before.
func TestLiveCaptureKeepsFlowsAcrossLinkDown(t *testing.T) {
	s := newLinkScenario(t, nil, nil)
	ticks := make([]int, len(s.recs))
	for i, r := range s.recs {
		ticks[i] = r.tickCount()
	}
	downAt := time.Now()
	s.p.B.NS.MustIP(t, "link", "set", s.p.B.Name, "down")
	waitLink(t, s.c, LinkDown)
	time.Sleep(3*time.Second - time.Since(downAt))
	for i, r := range s.recs {
		// A quiet worker ticks at each poll timeout (100 ms): about 30 in
		// 3 s; a third is plenty on a loaded machine.
		if n := r.tickCount() - ticks[i]; n < int(time.Second/max(s.cfg.TickInterval, livePollTimeout)) {
			t.Errorf("worker %d: %d ticks while the link was down for 3s: its table stopped", i, n)
		}
	}
	upAt := time.Now()
	s.p.B.NS.MustIP(t, "link", "set", s.p.B.Name, "up")
	waitLink(t, s.c, LinkUp)
	t.Logf("link down for %v; up %v after ip link set up", upAt.Sub(downAt).Round(time.Millisecond), time.Since(upAt).Round(time.Millisecond))

	st := s.finish(t)
	if st.State != LinkUp || st.Flaps != 1 || st.Reopens != 0 {
		t.Errorf("link stats %+v: want up, 1 flap, no reopen (a link down and up keeps its sockets)", st)
	}
	if !hasLine(s.logs, "capture: link down") {
		t.Error("no log line for the link going down")
	}
}

// TestLiveCaptureReopensWhenTheErrorCannotBeRead is the same flap with
// sockets whose descriptor the capture does not know (a gopacket that
// keeps it otherwise): their error cannot be cleared, so they are given
// up and new ones opened once the link is up, in the same order in the
// fanout group, and the flows still stay with their workers.
func TestLiveCaptureReopensWhenTheErrorCannotBeRead(t *testing.T) {
	s := newLinkScenario(t, nil, func(c *Capture) {
		for _, w := range c.workers {
			w.sock.fd = -1
		}
	})
	s.p.B.NS.MustIP(t, "link", "set", s.p.B.Name, "down")
	waitLink(t, s.c, LinkDown)
	time.Sleep(time.Second)
	s.p.B.NS.MustIP(t, "link", "set", s.p.B.Name, "up")
	waitLink(t, s.c, LinkUp)
	st := s.finish(t)
	if st.Flaps != 1 || st.Reopens != 1 {
		t.Errorf("link stats %+v: want 1 flap, 1 reopen", st)
	}
	if !hasLine(s.logs, "capture: a socket failed; replacing the sockets") {
		t.Error("no log line for the failed sockets")
	}
}

// TestLiveCaptureFollowsARecreatedInterface deletes the veth pair under a
// running capture and makes it again: the capture sees the interface go,
// waits, and opens new sockets on the new device (fanout group, eBPF
// program and promiscuous membership again); the flows in its tables,
// the connection open across it included, are kept.
func TestLiveCaptureFollowsARecreatedInterface(t *testing.T) {
	const keep = 200
	prog := truncatingFilter(t, keep)
	s := newLinkScenario(t, func(c *Config) { c.BPFProgramFD = prog.FD() }, nil)

	s.p.A.NS.MustIP(t, "link", "del", s.p.A.Name) // takes its peer with it
	waitLink(t, s.c, LinkAbsent)
	truncated := 0
	for _, r := range s.recs {
		r.mu.Lock()
		truncated += r.truncated
		r.mu.Unlock()
	}
	s.p.Remake(t)
	waitLink(t, s.c, LinkUp)
	if !promiscuous(t, s.p.B) {
		t.Error("the new interface is not promiscuous")
	}

	st := s.finish(t)
	if st.State != LinkUp || st.Flaps != 1 || st.Reopens != 1 {
		t.Errorf("link stats %+v: want up, 1 flap, 1 reopen", st)
	}
	after := 0
	for _, r := range s.recs {
		after += r.truncated
	}
	if after == truncated {
		t.Error("no segment cut short after the reopen: the eBPF program is not on the new sockets")
	}
	if !hasLine(s.logs, "capture: link absent") {
		t.Error("no log line for the interface going")
	}
}

// TestLiveCaptureEndsIdleFlowsWhileLinkDown: the tables keep their time
// while the link is down, so a flow idle for the idle timeout ends then,
// not when the link is back.
func TestLiveCaptureEndsIdleFlowsWhileLinkDown(t *testing.T) {
	p := netnstest.NewVethPair(t)
	sinkAddr := serveSink(t, p.B)
	c := openLiveIn(t, p.B.NS, testLiveConfig(p.B.Name, 2))
	table := flow.DefaultConfig()
	table.IdleTimeout = flow.MinTimeout
	table.VerdictTimeout = flow.MinTimeout // at most the idle timeout
	recs := newLiveRecordersWith(t, 2, table, nil)
	stop, _ := runLive(t, c, liveSinks(recs))
	waitLink(t, c, LinkUp)

	held := holdConn(t, p.A, sinkAddr, "and then nothing")
	p.B.NS.MustIP(t, "link", "set", p.B.Name, "down")
	waitLink(t, c, LinkDown)
	downAt := time.Now()
	var f *flow.Flow
	if !waitFor(5*time.Second, func() bool {
		f = recs[0].flowOf(held.client)
		if f == nil {
			f = recs[1].flowOf(held.client)
		}
		return f != nil
	}) {
		t.Fatal("the idle flow did not end within 5s of the link going down")
	}
	t.Logf("idle flow handed out %v after the link went down", time.Since(downAt).Round(time.Millisecond))
	if st := c.Stats().Link.State; st != LinkDown || !silent(f.EndReason) || string(f.Prefix) != "and then nothing" {
		t.Errorf("flow %q ended %v while the link was %v: want idle_timeout or verdict_timeout while down", f.Prefix, f.EndReason, st)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// silent reports whether a flow ended for holding still: it sent payload,
// so the verdict timeout (here as short as the idle timeout) may end it
// first.
func silent(r flow.EndReason) bool { return r == flow.EndIdle || r == flow.EndVerdictTimeout }

// TestOpenWaitsForLink opens a capture on an interface that does not
// exist yet (WaitForLink): the capture ticks while it waits, still waits
// while the interface is down, and captures once it is up.
func TestOpenWaitsForLink(t *testing.T) {
	ns := netnstest.New(t)
	cfg := testLiveConfig("veth-late", 2)
	if err := ns.Do(func() error {
		_, err := Open(cfg)
		return err
	}); err == nil || !strings.Contains(err.Error(), ErrNoSuchInterface.Error()) {
		t.Fatalf("Open on a missing interface without WaitForLink: %v", err)
	}
	cfg.WaitForLink = true
	c := openLiveIn(t, ns, cfg)
	if st := c.Stats().Link; st.State != LinkAbsent {
		t.Fatalf("link %v at open, want absent", st.State)
	}
	recs := newLiveRecorders(t, 2, nil)
	stop, _ := runLive(t, c, liveSinks(recs))
	if !waitFor(5*time.Second, func() bool { return recs[0].tickCount() > 5 && recs[1].tickCount() > 5 }) {
		t.Fatal("no ticks while waiting for the interface")
	}

	ns.MustIP(t, "link", "add", "veth-late", "type", "veth", "peer", "name", "veth-late-p")
	waitLink(t, c, LinkDown)
	ns.MustIP(t, "link", "set", "veth-late-p", "up")
	ns.MustIP(t, "link", "set", "veth-late", "up")
	waitLink(t, c, LinkUp)

	_, spec, frames := injectedTLSFlow(t, 0)
	inject(t, netnstest.Link{NS: ns, Name: "veth-late-p"}, frames)
	client := endpointOf(spec.Client)
	if !waitFor(5*time.Second, func() bool { return recs[0].flowOf(client) != nil || recs[1].flowOf(client) != nil }) {
		t.Error("no flow captured once the interface was up")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats().Link; st.Flaps != 0 || st.Reopens != 0 || st.Down <= 0 {
		t.Errorf("link stats %+v: want no flap, no reopen (the first open), some time down", st)
	}
}

// TestLiveCaptureStopsWhileLinkDown stops a capture whose link is down:
// Run returns at once, with nil, and the sockets are closed.
func TestLiveCaptureStopsWhileLinkDown(t *testing.T) {
	p := netnstest.NewVethPair(t)
	c := openLiveIn(t, p.B.NS, testLiveConfig(p.B.Name, 2))
	stop, _ := runLive(t, c, liveSinks(newLiveRecorders(t, 2, nil)))
	p.B.NS.MustIP(t, "link", "set", p.B.Name, "down")
	waitLink(t, c, LinkDown)
	if err := stop(); err != nil {
		t.Fatalf("Run stopped while the link was down: %v", err)
	}
	if promiscuous(t, p.B) {
		t.Error("interface still promiscuous after Run ended")
	}
}
