//go:build linux

package afpacket

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/gopacket/gopacket/afpacket"
)

func TestLinkStatusAccounting(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	var s linkStatus
	s.init(LinkAbsent, t0)
	steps := []struct {
		at        float64
		state     LinkState
		outage    time.Duration // reported when the link comes up
		flaps     uint64
		downSoFar time.Duration // in the snapshot right after
	}{
		{1, LinkDown, 0, 0, 1 * time.Second},             // absent, then down: still waiting, no flap
		{3, LinkUp, 3 * time.Second, 0, 3 * time.Second}, // up after 3 s without it
		{5, LinkNoCarrier, 0, 1, 3 * time.Second},        // the carrier goes: a flap
		{5.5, LinkAbsent, 0, 1, 3500 * time.Millisecond},
		{7, LinkUp, 2 * time.Second, 1, 5 * time.Second}, // the outage counts from 5 s
		{7, LinkUp, 0, 1, 5 * time.Second},               // no change
	}
	for i, st := range steps {
		_, outage := s.set(st.state, at(st.at))
		if outage != st.outage {
			t.Errorf("step %d: outage %v, want %v", i, outage, st.outage)
		}
		snap := s.snapshot(at(st.at))
		if snap.Flaps != st.flaps || snap.Down != st.downSoFar || snap.State != st.state {
			t.Errorf("step %d: %+v, want %v, %d flaps, %v down", i, snap, st.state, st.flaps, st.downSoFar)
		}
	}
	// The current spell counts in Down while it lasts.
	s.set(LinkDown, at(10))
	if d := s.snapshot(at(12)).Down; d != 7*time.Second {
		t.Errorf("down %v while down since 10 s, want 7s", d)
	}
	if st := s.snapshot(at(12)); st.Since != at(10) || st.Flaps != 2 {
		t.Errorf("%+v: want since 10 s, 2 flaps", st)
	}
}

func TestLinkBackoff(t *testing.T) {
	var b backoff
	want := []time.Duration{100, 200, 400, 800, 1600, 3200, 5000, 5000}
	for i, w := range want {
		if got := b.next(); got != w*time.Millisecond {
			t.Errorf("wait %d: %v, want %v", i, got, w*time.Millisecond)
		}
	}
	b.reset()
	if got := b.next(); got != linkRetryMin {
		t.Errorf("after reset: %v, want %v", got, linkRetryMin)
	}
}

func TestLinkLineLimiter(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	var l lineLimiter
	for i := range linkLogLines {
		if ok, _ := l.allow(t0.Add(time.Duration(i) * time.Second)); !ok {
			t.Fatalf("line %d held back", i)
		}
	}
	for i := range 5 {
		if ok, _ := l.allow(t0.Add(30 * time.Second)); ok {
			t.Fatalf("line %d over the limit let through", linkLogLines+i)
		}
	}
	ok, unlogged := l.allow(t0.Add(linkLogWindow))
	if !ok || unlogged != 5 {
		t.Errorf("first line of the next window: %v, %d unlogged; want through, 5", ok, unlogged)
	}
	if _, unlogged := l.allow(t0.Add(linkLogWindow + time.Second)); unlogged != 0 {
		t.Errorf("the held-back count was reported twice: %d", unlogged)
	}
}

// TestTPacketKeepsItsFD guards tpacketFD against a gopacket that keeps
// its descriptor otherwise: every link flap would then cost a reopen.
func TestTPacketKeepsItsFD(t *testing.T) {
	f, ok := reflect.TypeFor[afpacket.TPacket]().FieldByName("fd")
	if !ok || f.Type.Kind() != reflect.Int {
		t.Fatalf("gopacket's TPacket has no int field fd (%v): tpacketFD must find the descriptor another way", f.Type)
	}
}

func TestSocketRecoverWithoutFD(t *testing.T) {
	s := &socket{fd: -1}
	if ok, why := s.recover(afpacket.ErrPoll); ok || !errors.Is(why, afpacket.ErrPoll) {
		t.Errorf("recover without a descriptor: %v, %v; want the socket replaced", ok, why)
	}
	other := errors.New("bad file descriptor")
	if ok, why := s.recover(other); ok || !errors.Is(why, other) {
		t.Errorf("recover from another error: %v, %v; want the socket replaced", ok, why)
	}
}

func TestLinkStateString(t *testing.T) {
	for s, want := range map[LinkState]string{LinkUp: "up", LinkDown: "down", LinkNoCarrier: "no-carrier", LinkAbsent: "absent", LinkReopening: "reopening", 9: "LinkState(9)"} {
		if s.String() != want {
			t.Errorf("%d: %q, want %q", s, s.String(), want)
		}
	}
}
