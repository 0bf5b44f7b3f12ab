package ratelimit

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

var (
	t0   = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	srcA = netip.MustParseAddr("10.0.0.1")
	srcB = netip.MustParseAddr("10.0.0.2")
	dst  = netip.MustParseAddr("192.0.2.7")
)

// TestBurstAddsUp: 1,000 identical alerts in 10 minutes, at most 3 per
// minute by source and destination: the alerts written plus the counts
// they carry plus what is still held add up to 1,000.
func TestBurstAddsUp(t *testing.T) {
	l, err := New(Config{Rules: []Rule{{Track: ByBoth, Count: 3, Window: time.Minute}}, MaxTracked: 10})
	if err != nil {
		t.Fatal(err)
	}
	written, said := 0, uint64(0)
	for i := range 1000 {
		ok, held := l.Allow(Alert{SignatureID: 8100001, Src: srcA, Dst: dst, Time: t0.Add(time.Duration(i) * 600 * time.Millisecond)})
		if ok {
			written++
			said += held
		} else if held != 0 {
			t.Fatal("a held-back alert carries a count")
		}
	}
	st := l.Stats()
	if written != 30 || st.Written != 30 || st.Held != 970 {
		t.Errorf("%d written (%d), %d held: want 3 per minute for 10 minutes", written, st.Written, st.Held)
	}
	// The last window's held-back alerts are said by the next one written.
	ok, held := l.Allow(Alert{SignatureID: 8100001, Src: srcA, Dst: dst, Time: t0.Add(time.Hour)})
	if !ok || uint64(written)+said+held != 1000 {
		t.Errorf("written %d + said %d + %d = %d, want 1000", written, said, held, uint64(written)+said+held)
	}
}

func TestTracksAndRules(t *testing.T) {
	l, err := New(Config{Rules: []Rule{
		{SignatureID: 0, Track: BySrc, Count: 1, Window: time.Minute},
		{SignatureID: 7, Track: BySignature, Count: 2, Window: time.Minute},
		{SignatureID: 9, Track: ByFingerprint, Count: 1, Window: time.Minute},
	}, MaxTracked: 100})
	if err != nil {
		t.Fatal(err)
	}
	allow := func(sig int, src netip.Addr, print string) bool {
		ok, _ := l.Allow(Alert{SignatureID: sig, Src: src, Dst: dst, Fingerprint: print, Time: t0})
		return ok
	}
	// Rule 0 applies to signature 1 by source: one per source.
	if !allow(1, srcA, "") || allow(1, srcA, "") || !allow(1, srcB, "") {
		t.Error("by_src")
	}
	// Signature 7 has its own rule: two on the whole network.
	if !allow(7, srcA, "") || !allow(7, srcB, "") || allow(7, srcA, "") {
		t.Error("by_signature")
	}
	// Signature 9 by fingerprint.
	if !allow(9, srcA, "t13d") || allow(9, srcB, "t13d") || !allow(9, srcA, "t12d") {
		t.Error("by_fingerprint")
	}
	// Without a catch-all rule, other signatures are never held back.
	if err := l.SetConfig(Config{Rules: []Rule{{SignatureID: 7, Track: BySrc, Count: 1, Window: time.Minute}}, MaxTracked: 100}); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if !allow(3, srcA, "") {
			t.Fatal("a signature with no rule was held back")
		}
	}
}

// TestBoundedMemory: a flood of distinct sources never grows the tracks
// past MaxTracked; the oldest give way and are counted.
func TestBoundedMemory(t *testing.T) {
	l, _ := New(Config{Rules: []Rule{{Track: BySrc, Count: 1, Window: time.Hour}}, MaxTracked: 64})
	for i := range 10000 {
		src := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		l.Allow(Alert{SignatureID: 1, Src: src, Dst: dst, Time: t0})
	}
	if st := l.Stats(); st.Tracked != 64 || st.Forgotten != 10000-64 {
		t.Errorf("%+v", st)
	}
	if err := l.SetConfig(Config{Rules: nil, MaxTracked: 8}); err != nil || l.Stats().Tracked != 8 {
		t.Errorf("shrinking: %v, %+v", err, l.Stats())
	}
}

func TestValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := Config{Rules: []Rule{
		{SignatureID: -1, Track: BySrc, Count: 1, Window: time.Minute},
		{SignatureID: 5, Track: "by_moon", Count: 0, Window: 0},
		{SignatureID: 5, Track: BySrc, Count: 1, Window: time.Minute},
	}, MaxTracked: 0}
	err := bad.Validate()
	for _, want := range []string{"Rules[0]: signature_id -1", "Rules[1]: track \"by_moon\"", "Rules[1]: count 0", "Rules[1]: window 0s", "Rules[2]: signature_id 5 has a rule already", "MaxTracked: 0 is out of range"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("no %q in %v", want, err)
		}
	}
	if _, err := New(bad); err == nil {
		t.Error("New took a bad config")
	}
}
