//go:build linux

package netnstest

import (
	"bytes"
	"fmt"
	"net/netip"
	"os/exec"
	"testing"
)

// Link is one end of a link: its namespace, interface and addresses.
type Link struct {
	NS    *NS
	Name  string
	Addr4 netip.Addr // in 10.77.0.0/24
	Addr6 netip.Addr // in fd77::/64
}

// Pair is two namespaces joined by a link: A (x.x.x.1) and B (x.x.x.2).
type Pair struct {
	A, B Link
}

// NewVethPair makes two namespaces joined by a veth pair, veth-a in A and
// veth-b in B, with IPv4 and IPv6 addresses (no duplicate address
// detection, so they are usable at once). Segmentation and receive
// offloads are turned off with ethtool when it is installed, so that
// captured frames are wire-sized segments; without it the test goes on
// (large offloaded segments still decode).
func NewVethPair(t testing.TB) *Pair {
	t.Helper()
	a, b := New(t), New(t)
	a.MustIP(t, "link", "add", "veth-a", "type", "veth", "peer", "name", "veth-b", "netns", b.Name)
	p := &Pair{A: Link{NS: a, Name: "veth-a"}, B: Link{NS: b, Name: "veth-b"}}
	p.A.setUp(t, 0, 1)
	p.B.setUp(t, 0, 2)
	return p
}

func (l *Link) setUp(t testing.TB, subnet, host int) {
	t.Helper()
	l.Addr4 = netip.AddrFrom4([4]byte{10, 77, byte(subnet), byte(host)})
	l.Addr6 = netip.MustParseAddr(fmt.Sprintf("fd77:0:0:%x::%x", subnet, host))
	l.NS.MustIP(t, "addr", "add", l.Addr4.String()+"/24", "dev", l.Name)
	l.NS.MustIP(t, "addr", "add", l.Addr6.String()+"/64", "dev", l.Name, "nodad")
	l.NS.MustIP(t, "link", "set", l.Name, "up")
	l.offloadsOff(t)
}

// offloadsOff turns off segmentation and receive offloads, when ethtool
// is installed.
func (l *Link) offloadsOff(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("ethtool"); err != nil {
		t.Logf("ethtool not installed: offloads left on for %s", l.Name)
		return
	}
	out, err := l.NS.Command("ethtool", "-K", l.Name, "tso", "off", "gso", "off", "gro", "off").CombinedOutput()
	if err != nil {
		t.Logf("ethtool -K %s: %v: %s (offloads left as they are)", l.Name, err, bytes.TrimSpace(out))
	}
}

// Remake makes the veth pair again after it was deleted (ip link del
// takes both ends): the same names and addresses on new devices, as a
// driver reload or a recreated virtual interface gives.
func (p *Pair) Remake(t testing.TB) {
	t.Helper()
	p.A.NS.MustIP(t, "link", "add", p.A.Name, "type", "veth", "peer", "name", p.B.Name, "netns", p.B.NS.Name)
	p.A.setUp(t, 0, 1)
	p.B.setUp(t, 0, 2)
}
