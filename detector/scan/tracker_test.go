package scan

import (
	"fmt"
	"math"
	"net/netip"
	"testing"
	"time"
)

var (
	client = netip.MustParseAddr("10.0.0.5")
	server = netip.MustParseAddrPort("192.0.2.1:443")
	t0     = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
)

// TestScanNeedsManyStacks: a client that repeats its few stacks is no
// scan however often it connects; one whose hellos bring MinStacks
// distinct stacks within the window is, from that hello on.
func TestScanNeedsManyStacks(t *testing.T) {
	tr := New(16)
	for i := range 100 {
		if _, ok := tr.Observe(client, server, t0.Add(time.Duration(i)*100*time.Millisecond), fmt.Sprintf("stack-%d", i%(MinStacks/2))); ok {
			t.Fatalf("hello %d of %d stacks: a scan", i, MinStacks/2)
		}
	}
	other := netip.MustParseAddrPort("192.0.2.2:443")
	for i := range MinStacks + 2 {
		f, ok := tr.Observe(client, other, t0.Add(time.Duration(i)*time.Second), fmt.Sprintf("probe-%d", i))
		if want := i+1 >= MinStacks; ok != want {
			t.Fatalf("hello %d: scan %v, want %v", i, ok, want)
		}
		if ok && (f.Stacks != i+1 || f.Hellos != i+1 || f.Span != time.Duration(i)*time.Second) {
			t.Errorf("hello %d: %+v", i, f)
		}
	}
}

// TestScanWindow: stacks spread wider than Window never make a scan, and
// a hello a little out of order counts in its window.
func TestScanWindow(t *testing.T) {
	tr := New(16)
	step := Window / time.Duration(MinStacks-2)
	for i := range 5 * MinStacks {
		if _, ok := tr.Observe(client, server, t0.Add(time.Duration(i)*step), fmt.Sprintf("s%d", i)); ok {
			t.Fatalf("hello %d, %s apart: a scan", i, step)
		}
	}
	tr = New(16)
	for i := range MinStacks - 1 {
		tr.Observe(client, server, t0.Add(time.Duration(i)*time.Second), fmt.Sprintf("s%d", i))
	}
	if _, ok := tr.Observe(client, server, t0.Add(-time.Second), "late"); !ok {
		t.Error("a hello handed out late did not count in its window")
	}
}

// TestScanBoundedAndDeterministic: a flood of pairs keeps at most the
// bound, the oldest giving way; stacks beyond maxStacks count as "at
// least".
func TestScanBoundedAndDeterministic(t *testing.T) {
	tr := New(8)
	for i := range 100 {
		tr.Observe(netip.AddrFrom4([4]byte{10, 1, 0, byte(i)}), server, t0, "s")
	}
	if n := tr.Len(); n != 8 {
		t.Fatalf("%d pairs followed, want 8", n)
	}
	if tr.Stacks(netip.AddrFrom4([4]byte{10, 1, 0, 99}), server) != 1 {
		t.Error("the newest pair was not kept")
	}
	if tr.Stacks(netip.AddrFrom4([4]byte{10, 1, 0, 0}), server) != 0 {
		t.Error("the oldest pair was kept")
	}
	tr = New(1)
	var f Finding
	for i := range 3 * maxStacks {
		f, _ = tr.Observe(client, server, t0, fmt.Sprint(i))
	}
	if f.Stacks != maxStacks || f.Hellos != 3*maxStacks {
		t.Errorf("after %d stacks: %+v", 3*maxStacks, f)
	}
}

// TestBits: no scan among the public pairs weighs log2(2n+2) bits.
func TestBits(t *testing.T) {
	if got, want := Bits(), math.Log2(2*float64(BenignPairs)+2); BenignScans == 0 && math.Abs(got-want) > 1e-9 {
		t.Errorf("Bits %v, want %v", got, want)
	}
}
