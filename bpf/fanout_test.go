//go:build linux

package bpf

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/tlsentry/tlsentry/internal/capgen"
)

// loadFanoutForTest loads the fanout program, skipping the test where
// this process may not load BPF programs.
func loadFanoutForTest(t testing.TB) *Fanout {
	t.Helper()
	f, err := LoadFanout()
	if errors.Is(err, os.ErrPermission) {
		t.Skipf("needs root or CAP_BPF to load the fanout program: %v", err)
	}
	if errors.Is(err, ebpf.ErrNotSupported) {
		t.Skipf("kernel does not support what the fanout program needs: %v", err)
	}
	if err != nil {
		t.Fatalf("LoadFanout: %v", err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return f
}

// spread is the program's hash of an Ethernet frame. A test run pulls the
// Ethernet header and sets the network header after it, as the kernel
// has done by the time a fanout group spreads a received packet.
func spread(t testing.TB, f *Fanout, frame []byte) uint32 {
	t.Helper()
	ret, err := f.objs.TlsentryFanout.Run(&ebpf.RunOptions{Data: frame})
	if errors.Is(err, ebpf.ErrNotSupported) {
		t.Skipf("kernel cannot test-run socket filters: %v", err)
	}
	if err != nil {
		t.Fatalf("test run: %v", err)
	}
	return ret
}

// TestFanoutKeepsConnectionsWhole: both directions of a connection, and
// every fragment of its IPv6 packets, get the same hash; connections
// differ by ports in IPv4 (the kernel reassembles IPv4 fragments before
// the hash) and by addresses in IPv6.
func TestFanoutKeepsConnectionsWhole(t *testing.T) {
	f := loadFanoutForTest(t)
	data := func(src, dst string, sport, dport uint16, vlans int) []byte {
		return tcpFrame{src: src, dst: dst, sport: sport, dport: dport, seq: 1000, ack: 2000, flags: "PA", payload: 1200, vlans: vlans}.bytes(t)
	}
	for _, c := range []struct {
		name     string
		cli, srv string
	}{{"IPv4", clientIP, serverIP}, {"IPv6", client6, server6}} {
		t.Run(c.name, func(t *testing.T) {
			h := spread(t, f, data(c.cli, c.srv, 40000, 443, 0))
			if h == 0 {
				t.Fatal("hash 0: the packet was not parsed")
			}
			same := map[string][]byte{
				"the server's answer": data(c.srv, c.cli, 443, 40000, 0),
				"a SYN":               tcpFrame{src: c.cli, dst: c.srv, sport: 40000, dport: 443, seq: 999, flags: "S"}.bytes(t),
				"one 802.1Q tag":      data(c.cli, c.srv, 40000, 443, 1),
				"802.1ad and 802.1Q":  data(c.srv, c.cli, 443, 40000, 2),
			}
			if c.name == "IPv6" {
				frags := capgen.FragmentFrame(data(c.cli, c.srv, 40000, 443, 0), 256, 77)
				if len(frags) < 3 {
					t.Fatalf("%d fragments", len(frags))
				}
				same["the first fragment"] = frags[0]
				same["a later fragment"] = frags[1]
				same["the last fragment"] = frags[len(frags)-1]
				same["a UDP datagram between the same hosts"] = udpFrameBetween(t, c.cli, c.srv, 5353, 53, 100)
			}
			for what, frame := range same {
				if got := spread(t, f, frame); got != h {
					t.Errorf("%s: hash %#x, the client's data %#x", what, got, h)
				}
			}
			// Other connections spread: over 64 client ports (IPv4) or
			// client addresses (IPv6), each of four sockets gets some.
			var sockets [4]int
			for i := range 64 {
				frame := data(c.cli, c.srv, uint16(41000+i), 443, 0)
				if c.name == "IPv6" {
					frame = data(fmt.Sprintf("2001:db8::%x", 0x100+i), c.srv, 41000, 443, 0)
				}
				sockets[spread(t, f, frame)%4]++
			}
			for i, n := range sockets {
				if n == 0 {
					t.Errorf("socket %d of 4 gets none of 64 connections: %v", i, sockets)
				}
			}
		})
	}
}

// TestFanoutSeeds: two loads spread the same connections differently, so
// which ones share a worker cannot be foreseen.
func TestFanoutSeeds(t *testing.T) {
	a, b := loadFanoutForTest(t), loadFanoutForTest(t)
	differ := 0
	for i := range 8 {
		frame := tcpFrame{src: clientIP, dst: serverIP, sport: uint16(42000 + i), dport: 443, seq: 1, flags: "S"}.bytes(t)
		if spread(t, a, frame) != spread(t, b, frame) {
			differ++
		}
	}
	if differ == 0 {
		t.Error("two loads hash 8 connections the same: the seed is not set")
	}
}

// TestFanoutOtherFrames: frames that are not IP hash to 0, and a frame
// cut short does not fail the program.
func TestFanoutOtherFrames(t *testing.T) {
	f := loadFanoutForTest(t)
	for name, frame := range map[string][]byte{
		"ARP": arpFrame(t),
		// (A test run refuses IP headers cut short.)
		"VLAN tag cut":       tcpFrame{src: clientIP, dst: serverIP, sport: 40000, dport: 443, seq: 1, flags: "S", vlans: 1}.bytes(t)[:16],
		"inner VLAN tag cut": tcpFrame{src: client6, dst: server6, sport: 40000, dport: 443, seq: 1, flags: "S", vlans: 2}.bytes(t)[:20],
	} {
		if got := spread(t, f, frame); got != 0 {
			t.Errorf("%s: hash %#x, want 0", name, got)
		}
	}
	if got := spread(t, f, icmpFrame(t)); got == 0 {
		t.Error("an IPv4 packet of another protocol hashes to 0: its addresses should count")
	}
}
