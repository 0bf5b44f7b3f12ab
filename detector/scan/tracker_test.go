package scan

import (
	"fmt"
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

var (
	client = netip.MustParseAddr("10.0.0.5")
	server = netip.MustParseAddrPort("192.0.2.1:443")
	t0     = time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
)

// TestScanNeedsManyStacks: a client that repeats its few stacks is no
// scan however often the server turns them down; one whose refused
// hellos bring DefaultMinStacks distinct stacks within the window is,
// from that hello on.
func TestScanNeedsManyStacks(t *testing.T) {
	tr := newTracker(t, 16)
	for i := range 100 {
		if _, ok := tr.Observe(client, server, t0.Add(time.Duration(i)*100*time.Millisecond), fmt.Sprintf("stack-%d", i%(DefaultMinStacks/2)), true); ok {
			t.Fatalf("hello %d of %d stacks: a scan", i, DefaultMinStacks/2)
		}
	}
	other := netip.MustParseAddrPort("192.0.2.2:443")
	for i := range DefaultMinStacks + 2 {
		f, ok := tr.Observe(client, other, t0.Add(time.Duration(i)*time.Second), fmt.Sprintf("probe-%d", i), true)
		if want := i+1 >= DefaultMinStacks; ok != want {
			t.Fatalf("hello %d: scan %v, want %v", i, ok, want)
		}
		if ok && (f.Stacks != i+1 || f.Hellos != i+1 || f.Span != time.Duration(i)*time.Second) {
			t.Errorf("hello %d: %+v", i, f)
		}
	}
}

// TestScanWindow: stacks spread wider than DefaultWindow never make a scan, and
// a hello a little out of order counts in its window.
func TestScanWindow(t *testing.T) {
	tr := newTracker(t, 16)
	step := DefaultWindow / time.Duration(DefaultMinStacks-2)
	for i := range 5 * DefaultMinStacks {
		if _, ok := tr.Observe(client, server, t0.Add(time.Duration(i)*step), fmt.Sprintf("s%d", i), true); ok {
			t.Fatalf("hello %d, %s apart: a scan", i, step)
		}
	}
	tr = newTracker(t, 16)
	for i := range DefaultMinStacks - 1 {
		tr.Observe(client, server, t0.Add(time.Duration(i)*time.Second), fmt.Sprintf("s%d", i), true)
	}
	if _, ok := tr.Observe(client, server, t0.Add(-time.Second), "late", true); !ok {
		t.Error("a hello handed out late did not count in its window")
	}
}

// TestScanBoundedAndDeterministic: a flood of pairs keeps at most the
// bound, the oldest giving way; stacks beyond maxStacks count as "at
// least".
func TestScanBoundedAndDeterministic(t *testing.T) {
	tr := newTracker(t, 8)
	for i := range 100 {
		tr.Observe(netip.AddrFrom4([4]byte{10, 1, 0, byte(i)}), server, t0, "s", true)
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
	tr = newTracker(t, 1)
	var f Finding
	for i := range 3 * maxStacks {
		f, _ = tr.Observe(client, server, t0, fmt.Sprint(i), true)
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

// TestAcceptedStacksAreNoScan: behind a NAT one address carries the
// stacks of every host behind it, many of them to a popular server
// within a minute, and the server takes them all: no scan, however
// many; the same stacks turned down are one.
func TestAcceptedStacksAreNoScan(t *testing.T) {
	tr := newTracker(t, 16)
	for i := range 4 * DefaultMinStacks {
		if _, ok := tr.Observe(client, server, t0.Add(time.Duration(i)*time.Second), fmt.Sprintf("host-%d", i), false); ok {
			t.Fatalf("accepted hello %d: a scan", i)
		}
	}
	for i := range DefaultMinStacks {
		_, ok := tr.Observe(client, server, t0.Add(time.Duration(40+i)*time.Second), fmt.Sprintf("probe-%d", i), true)
		if want := i+1 >= DefaultMinStacks; ok != want {
			t.Fatalf("refused hello %d: scan %v, want %v", i, ok, want)
		}
	}
	// From then on the pair's accepted hellos are the scan's too.
	if f, ok := tr.Observe(client, server, t0.Add(50*time.Second), "browser-copy", false); !ok || f.Stacks != DefaultMinStacks || f.Hellos != 5*DefaultMinStacks+1 {
		t.Errorf("accepted hello after the scan: %+v %v", f, ok)
	}
}

// TestRefused: an alert instead of a ServerHello refuses the hello; a
// ServerHello, or no answer at all, does not.
func TestRefused(t *testing.T) {
	hello := &tlsparse.ClientHello{}
	alert, err := tlsparse.ParseServerFlight([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28}) // fatal handshake_failure
	if alert == nil || alert.Alert == nil {
		t.Fatalf("an alert record parsed as %+v, %v", alert, err)
	}
	cases := []struct {
		name string
		h    *tlsparse.Handshake
		want bool
	}{
		{"handshake_failure alert", &tlsparse.Handshake{Client: hello, Server: alert}, true},
		{"a ServerHello", &tlsparse.Handshake{Client: hello, Server: &tlsparse.ServerFlight{ServerHello: &tlsparse.ServerHello{}}}, false},
		{"a HelloRetryRequest, then an alert", &tlsparse.Handshake{Client: hello, Server: &tlsparse.ServerFlight{HelloRetryRequest: &tlsparse.ServerHello{}, Alert: alert.Alert}}, false},
		{"no answer", &tlsparse.Handshake{Client: hello}, false},
		{"no hello", &tlsparse.Handshake{Server: alert}, false},
		{"nothing", nil, false},
	}
	for _, c := range cases {
		if got := Refused(c.h); got != c.want {
			t.Errorf("%s: refused %v", c.name, got)
		}
	}
}

func newTracker(t *testing.T, maxPairs int) *Tracker {
	t.Helper()
	tr, err := New(Config{MaxPairs: maxPairs})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestConfig: zero fields take the defaults; each field out of range is
// named; a MinStacks a benign pair reaches is refused; a smaller one
// than the default makes a scan sooner.
func TestConfig(t *testing.T) {
	tr, err := New(Config{})
	if err != nil || tr.min != DefaultMinStacks || tr.max != DefaultMaxPairs || tr.win != int64(DefaultWindow) {
		t.Fatalf("defaults: %v %+v", err, tr)
	}
	err = Config{MinStacks: BenignMostRefused, Window: 2 * time.Hour, MaxPairs: -1}.Validate()
	for _, want := range []string{"scan: min stacks: 2 is out of range (3-64", "scan: window: 2h0m0s is out of range", "scan: max pairs: -1 is out of range"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v: want %q", err, want)
		}
	}
	if _, err := New(Config{MinStacks: maxStacks + 1}); err == nil {
		t.Error("New took a MinStacks above maxStacks")
	}
	tr, err = New(Config{MinStacks: BenignMostRefused + 1, Window: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for i := range BenignMostRefused + 1 {
		_, ok := tr.Observe(client, server, t0.Add(time.Duration(i)*time.Second), fmt.Sprint(i), true)
		if want := i == BenignMostRefused; ok != want {
			t.Errorf("refused hello %d: scan %v, want %v", i, ok, want)
		}
	}
	// Past the window, the count starts over.
	if _, ok := tr.Observe(client, server, t0.Add(11*time.Second), "late", true); ok {
		t.Error("a hello past a 10 s window was a scan's")
	}
}
