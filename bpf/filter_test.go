//go:build linux

package bpf

import (
	"errors"
	"os"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/gopacket/gopacket/layers"
)

// loadForTest loads the filter, skipping the test where this process may
// not load BPF programs or the kernel lacks what the filter needs.
func loadForTest(t testing.TB, cfg Config) *Filter {
	t.Helper()
	f, err := Load(cfg)
	if errors.Is(err, os.ErrPermission) {
		t.Skipf("needs root or CAP_BPF to load the socket filter: %v", err)
	}
	if errors.Is(err, ebpf.ErrNotSupported) {
		t.Skipf("kernel does not support what the socket filter needs: %v", err)
	}
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return f
}

// testRunHeader is prepended to every frame given to BPF_PROG_TEST_RUN:
// for a socket filter the kernel pulls one Ethernet header (eth_type_trans)
// before the program runs, whereas on an AF_PACKET socket the program sees
// the frame from its Ethernet header. With it, the program sees exactly the
// bytes the socket would.
var testRunHeader = []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5}

// maxTestRunFrame is about the longest frame BPF_PROG_TEST_RUN takes: the
// data must fit one page with the skb's headroom and shared info.
const maxTestRunFrame = 3000

// run returns the program's verdict on frame: the bytes to keep, 0 to drop.
func run(t testing.TB, f *Filter, frame []byte) uint32 {
	t.Helper()
	if len(frame) > maxTestRunFrame {
		t.Fatalf("a %d-byte frame is longer than a test run takes (%d)", len(frame), maxTestRunFrame)
	}
	in := append(append([]byte{}, testRunHeader...), frame...)
	ret, err := f.objs.TlsentryFilter.Run(&ebpf.RunOptions{Data: in})
	if errors.Is(err, ebpf.ErrNotSupported) {
		t.Skipf("kernel cannot test-run socket filters: %v", err)
	}
	if err != nil {
		t.Fatalf("test run: %v", err)
	}
	return ret
}

// verdicts the cases expect; each names the counter it moves.
const (
	pass = iota
	notWatched
	fragment
	malformed
	overBudget
)

var verdictNames = []string{"pass", "not watched", "fragment", "malformed", "over budget"}

type frameCase struct {
	name  string
	frame []byte
	want  int
}

// tally counts the expected counters of cases.
func tally(cases []frameCase) Stats {
	var s Stats
	for _, c := range cases {
		s.Seen++
		switch c.want {
		case pass:
			s.Passed++
		case notWatched:
			s.NotWatched++
		case fragment:
			s.Fragment++
		case malformed:
			s.Malformed++
		case overBudget:
			s.OverBudget++
		}
	}
	return s
}

// runCases runs the cases in order (they may build on each other's flow
// state) and checks each verdict, then the counters.
func runCases(t *testing.T, f *Filter, cases []frameCase) {
	t.Helper()
	before, err := f.Stats()
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		got := run(t, f, c.frame)
		switch {
		case c.want == pass && got != uint32(len(c.frame)):
			t.Errorf("%d %s: returned %d, want %d (the whole frame)", i, c.name, got, len(c.frame))
		case c.want != pass && got != 0:
			t.Errorf("%d %s: returned %d, want 0 (%s)", i, c.name, got, verdictNames[c.want])
		}
	}
	after, err := f.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := tally(cases)
	got := Stats{
		Seen: after.Seen - before.Seen, Passed: after.Passed - before.Passed, NotWatched: after.NotWatched - before.NotWatched,
		Fragment: after.Fragment - before.Fragment, Malformed: after.Malformed - before.Malformed, OverBudget: after.OverBudget - before.OverBudget,
	}
	if got != want {
		t.Errorf("counters moved by %+v, want %+v", got, want)
	}
}

func TestParsing(t *testing.T) {
	f := loadForTest(t, Config{Ports: []uint16{443, 8443}, MapEntries: 1024, ClientBudget: 4000, ServerBudget: 4000, UDPPackets: 4})
	seg := func(src, dst string, sport, dport uint16, vlans int) []byte {
		return tcpFrame{src: src, dst: dst, sport: sport, dport: dport, seq: 100, flags: "S", vlans: vlans}.bytes(t)
	}
	ext := func(types ...layers.IPProtocol) tcpFrame {
		// types[0] follows the IPv6 header; each header names the next, the last names TCP.
		var b []byte
		for i := range types {
			next := layers.IPProtocolTCP
			if i+1 < len(types) {
				next = types[i+1]
			}
			b = append(b, ipv6Option(next)...)
		}
		return tcpFrame{src: client6, dst: server6, sport: 40000, dport: 443, seq: 7, flags: "S", ipv6Ext: b, ipv6ExtType: types[0]}
	}
	const (
		hop  = layers.IPProtocolIPv6HopByHop
		rout = layers.IPProtocolIPv6Routing
		dest = layers.IPProtocolIPv6Destination
	)
	full := tcpFrame{src: clientIP, dst: serverIP, sport: 40001, dport: 443, seq: 9, flags: "PA", payload: 300}.bytes(t)
	full6 := tcpFrame{src: client6, dst: server6, sport: 40001, dport: 443, seq: 9, flags: "PA", payload: 300}.bytes(t)
	badIHL := append([]byte{}, full...)
	badIHL[14] = 0x44 // IHL 4: shorter than an IPv4 header
	badDoff := append([]byte{}, full...)
	badDoff[14+20+12] = 0x40 // TCP data offset 16 bytes
	bigDoff := append([]byte{}, full...)
	bigDoff[14+20+12] = 0xf0 // 60-byte TCP header: fits, the payload shrinks
	badVersion := append([]byte{}, full...)
	badVersion[14] = 0x65
	longTotal := append([]byte{}, full...)
	// IPv4 total length 1500 in a shorter frame.
	longTotal[14+2], longTotal[14+3] = 0x05, 0xdc
	// Ethernet padding after the IP packet.
	padded := append(append([]byte{}, seg(clientIP, serverIP, 40002, 443, 0)...), make([]byte, 20)...)

	icmp6Fragment := ext(layers.IPProtocolIPv6Fragment).bytes(t)
	icmp6Fragment[14+40] = byte(layers.IPProtocolICMPv6) // the fragment header's next header
	// A fragment header announced but cut: 4 bytes of IPv6 payload.
	fragCut := append([]byte{}, ext(layers.IPProtocolIPv6Fragment).bytes(t)[:14+40+4]...)
	fragCut[14+4], fragCut[14+5] = 0, 4

	runCases(t, f, []frameCase{
		{"IPv4 to watched port", seg(clientIP, serverIP, 40000, 443, 0), pass},
		{"IPv4 from watched port", seg(serverIP, clientIP, 443, 40000, 0), pass},
		{"IPv4 to second watched port", seg(clientIP, serverIP, 40000, 8443, 0), pass},
		{"IPv4 between unwatched ports", seg(clientIP, serverIP, 40000, 80, 0), notWatched},
		{"IPv4 neighbours of a watched port", seg(clientIP, serverIP, 442, 444, 0), notWatched},
		{"IPv6 to watched port", seg(client6, server6, 40000, 443, 0), pass},
		{"IPv6 from watched port", seg(server6, client6, 443, 40000, 0), pass},
		{"IPv6 unwatched", seg(client6, server6, 40000, 22, 0), notWatched},
		{"802.1Q IPv4", seg(clientIP, serverIP, 40000, 443, 1), pass},
		{"802.1Q IPv4 unwatched", seg(clientIP, serverIP, 40000, 25, 1), notWatched},
		{"QinQ IPv4", seg(clientIP, serverIP, 40000, 443, 2), pass},
		{"QinQ IPv6", seg(client6, server6, 40000, 443, 2), pass},
		{"QinQ IPv6 unwatched", seg(client6, server6, 40000, 993, 2), notWatched},
		{"Ethernet padding after the packet", padded, pass},
		{"IPv6 hop-by-hop", ext(hop).bytes(t), pass},
		{"IPv6 hop-by-hop, routing, destination options", ext(hop, rout, dest).bytes(t), pass},
		{"IPv6 four extension headers", ext(hop, dest, rout, dest).bytes(t), pass},
		{"IPv6 five extension headers", ext(hop, dest, rout, dest, dest).bytes(t), malformed},
		// IPv6 fragments of TCP or UDP pass, ports or not: the sensor
		// reassembles them (the kernel does not, for IPv6).
		{"IPv6 fragment header", ext(layers.IPProtocolIPv6Fragment).bytes(t), pass},
		{"IPv6 destination options then fragment", ext(dest, layers.IPProtocolIPv6Fragment).bytes(t), pass},
		{"IPv6 fragment of ICMPv6", icmp6Fragment, notWatched},
		{"IPv6 fragment header cut", fragCut, malformed},
		{"IPv6 no next header", ext(layers.IPProtocolNoNextHeader).bytes(t), notWatched},
		{"UDP to watched port", udpFrame(t, 40000, 443), pass},
		{"UDP from watched port", udpFrame(t, 8443, 40000), pass},
		{"UDP unwatched", udpFrame(t, 40000, 53), notWatched},
		{"UDP length beyond the IP packet", udpLength(udpFrame(t, 40001, 443), 200), malformed},
		{"UDP length below its header", udpLength(udpFrame(t, 40002, 443), 7), malformed},
		{"UDP length 0: the rest of the packet", udpLength(udpFrame(t, 40003, 443), 0), pass},
		{"UDP header cut", udpFrame(t, 40004, 443)[:14+20+6], malformed},
		{"ICMP", icmpFrame(t), notWatched},
		{"ARP", arpFrame(t), notWatched},
		{"IPv4 first fragment", ipv4Fragment(t, 443, 0, true), fragment},
		{"IPv4 later fragment", ipv4Fragment(t, 443, 64, true), fragment},
		{"IPv4 last fragment", ipv4Fragment(t, 443, 64, false), fragment},
		{"IPv4 TCP 60-byte header", bigDoff, pass},
		{"IPv4 IHL below 5", badIHL, malformed},
		{"TCP data offset below 5", badDoff, malformed},
		{"IP version 6 in an IPv4 ethertype", badVersion, malformed},
		{"IPv4 total length beyond the frame", longTotal, malformed},
		{"empty frame", nil, malformed},
		{"half an Ethernet header", full[:7], malformed},
		{"Ethernet header only", full[:14], malformed},
		{"IPv4 header cut", full[:14+12], malformed},
		{"TCP header cut", full[:14+20+10], malformed},
		{"payload cut", full[:14+20+20+100], malformed},
		{"IPv6 header cut", full6[:14+30], malformed},
		{"IPv6 payload cut", full6[:len(full6)-1], malformed},
		{"VLAN tag cut", seg(clientIP, serverIP, 40000, 443, 2)[:16], malformed},
	})
}

// conn builds frames of one IPv4 or IPv6 connection between a client port
// and the watched port 443.
type conn struct {
	client, server string
	cport          uint16
}

func (c conn) c2s(seq, ack uint32, flags string, n int) tcpFrame {
	return tcpFrame{src: c.client, dst: c.server, sport: c.cport, dport: 443, seq: seq, ack: ack, flags: flags, payload: n}
}

func (c conn) s2c(seq, ack uint32, flags string, n int) tcpFrame {
	return tcpFrame{src: c.server, dst: c.client, sport: 443, dport: c.cport, seq: seq, ack: ack, flags: flags, payload: n}
}

func TestBudget(t *testing.T) {
	back := func(seq, n uint32) uint32 { return seq - n } // in sequence space, wrapping
	const clientBudget, serverBudget = 3000, 5000
	f := loadForTest(t, Config{Ports: []uint16{443}, MapEntries: 1024, ClientBudget: clientBudget, ServerBudget: serverBudget, UDPPackets: 4})
	for _, family := range []struct {
		name           string
		client, server string
	}{{"IPv4", clientIP, serverIP}, {"IPv6", client6, server6}} {
		t.Run(family.name, func(t *testing.T) {
			c := conn{family.client, family.server, 40000}
			const cisn, sisn = 1000, 70000 // data starts at cisn+1 and sisn+1
			b := func(fr tcpFrame) []byte { return fr.bytes(t) }
			runCases(t, f, []frameCase{
				{"SYN", b(c.c2s(cisn, 0, "S", 0)), pass},
				{"SYN-ACK", b(c.s2c(sisn, cisn+1, "SA", 0)), pass},
				{"SYN retransmitted after the SYN-ACK", b(c.c2s(cisn, 0, "S", 0)), pass},
				{"server data at 5000 right after it", b(c.s2c(sisn+5001, cisn+1, "PA", 100)), overBudget},
				{"handshake ACK", b(c.c2s(cisn+1, sisn+1, "A", 0)), pass},
				{"client data at 0", b(c.c2s(cisn+1, sisn+1, "PA", 1000)), pass},
				{"client data at 1000", b(c.c2s(cisn+1001, sisn+1, "PA", 1000)), pass},
				{"client data at 2999, straddling the budget", b(c.c2s(cisn+3000, sisn+1, "PA", 1000)), pass},
				{"client data at 3000 (= budget)", b(c.c2s(cisn+3001, sisn+1, "PA", 1000)), overBudget},
				{"client data at 10000", b(c.c2s(cisn+10001, sisn+1, "PA", 1000)), overBudget},
				{"client retransmits data at 0", b(c.c2s(cisn+1, sisn+1, "PA", 1000)), pass},
				{"client data reordered at 2000", b(c.c2s(cisn+2001, sisn+1, "PA", 500)), pass},
				{"client decoy 10000 before its first byte", b(c.c2s(back(cisn+1, 10000), sisn+1, "PA", 500)), pass},
				{"client data 1 MiB + 1 before its first byte", b(c.c2s(back(cisn, 1<<20), sisn+1, "PA", 500)), overBudget},
				{"server data at 0", b(c.s2c(sisn+1, cisn+4001, "PA", 1400)), pass},
				{"server data at 4999", b(c.s2c(sisn+5000, cisn+4001, "PA", 1400)), pass},
				{"server data at 5000 (= budget)", b(c.s2c(sisn+5001, cisn+4001, "PA", 1400)), overBudget},
				{"client ACK within the server's budget", b(c.c2s(cisn+4001, sisn+5001, "A", 0)), pass},
				{"client ACK past the server's budget", b(c.c2s(cisn+4001, sisn+5002, "A", 0)), overBudget},
				{"server ACK past the client's budget", b(c.s2c(sisn+9000, cisn+4001, "A", 0)), overBudget},
				{"server ACK within the client's budget", b(c.s2c(sisn+9000, cisn+2000, "A", 0)), pass},
				{"server FIN with data past the budget", b(c.s2c(sisn+9000, cisn+4001, "FPA", 100)), pass},
				{"client FIN past the budget", b(c.c2s(cisn+20000, sisn+9101, "FA", 0)), pass},
				{"late client data after FIN", b(c.c2s(cisn+15000, sisn+9101, "PA", 100)), overBudget},
				{"RST", b(c.c2s(cisn+20001, 0, "R", 0)), pass},
				// The same ports again: the new SYN forgets the old sequence numbers.
				{"new SYN on the same ports", b(c.c2s(900000, 0, "S", 0)), pass},
				{"new connection's data at 0", b(c.c2s(900001, 0, "PA", 500)), pass},
				{"new connection's data past the budget", b(c.c2s(900001+clientBudget, 0, "PA", 500)), overBudget},
				{"SYN-ACK of the new connection", b(c.s2c(5, 900001, "SA", 0)), pass},
				{"new connection's server data at 0", b(c.s2c(6, 900501, "PA", 100)), pass},
				{"new connection's server data past the budget", b(c.s2c(6+serverBudget, 900501, "PA", 100)), overBudget},
			})
		})
	}

	t.Run("mid-stream pickup", func(t *testing.T) {
		c := conn{clientIP, serverIP, 41000}
		const cfirst, sfirst = 123456, 987654
		b := func(fr tcpFrame) []byte { return fr.bytes(t) }
		runCases(t, f, []frameCase{
			// The server's direction is seen first; its budget is the server's.
			{"server data starts the flow", b(c.s2c(sfirst, cfirst, "PA", 1400)), pass},
			{"server data at 4999", b(c.s2c(sfirst+4999, cfirst, "PA", 1400)), pass},
			{"server data at 5000", b(c.s2c(sfirst+5000, cfirst, "PA", 1400)), overBudget},
			// Within 1 MiB before a direction's first byte, data passes (the
			// table reports decoys so; here, a retransmission it counts).
			{"server data before the first seen", b(c.s2c(sfirst-1400, cfirst, "PA", 1400)), pass},
			{"server data 2 MiB before the first seen", b(c.s2c(back(sfirst, 2<<20), cfirst, "PA", 1400)), overBudget},
			{"client's first data starts its direction", b(c.c2s(cfirst, sfirst+1400, "PA", 200)), pass},
			{"client data at 2999", b(c.c2s(cfirst+2999, sfirst+1400, "PA", 200)), pass},
			{"client data at 3000", b(c.c2s(cfirst+3000, sfirst+1400, "PA", 200)), overBudget},
			{"FIN", b(c.s2c(sfirst+90000, cfirst, "FA", 0)), pass},
		})
	})

	t.Run("pure ACK starts a direction", func(t *testing.T) {
		c := conn{client6, server6, 42000}
		b := func(fr tcpFrame) []byte { return fr.bytes(t) }
		runCases(t, f, []frameCase{
			{"client ACK, no entry yet", b(c.c2s(500, 7000, "A", 0)), pass},
			{"client data at 0", b(c.c2s(500, 7000, "PA", 100)), pass},
			{"client data at 3000", b(c.c2s(3500, 7000, "PA", 100)), overBudget},
			{"server ACK past the client's budget", b(c.s2c(7000, 3600, "A", 0)), overBudget},
		})
	})

	t.Run("sequence numbers wrap", func(t *testing.T) {
		c := conn{clientIP, serverIP, 43000}
		const isn = 0xffffff00 // first data byte at 0xffffff01; offset 255 is sequence 0
		b := func(fr tcpFrame) []byte { return fr.bytes(t) }
		runCases(t, f, []frameCase{
			{"SYN near 2^32", b(c.c2s(isn, 0, "S", 0)), pass},
			{"data at 0", b(c.c2s(isn+1, 0, "PA", 255)), pass},
			{"data at 255, sequence 0", b(c.c2s(0, 0, "PA", 1000)), pass},
			{"data at 2999 after the wrap", b(c.c2s(2999-255, 0, "PA", 1000)), pass},
			{"data at 3000 after the wrap", b(c.c2s(3000-255, 0, "PA", 1000)), overBudget},
			{"data 1000 before the first byte (a decoy the table reports)", b(c.c2s(isn-1000, 0, "PA", 100)), pass},
			{"data 2 MiB before the first byte", b(c.c2s(isn-2<<20, 0, "PA", 100)), overBudget},
		})
	})

	t.Run("both ports watched", func(t *testing.T) {
		// Port 443 to port 443: both directions are client streams, and their
		// sequence numbers are tracked apart.
		a := func(seq uint32, n int) []byte {
			return tcpFrame{src: clientIP, dst: serverIP, sport: 443, dport: 443, seq: seq, flags: "PA", payload: n}.bytes(t)
		}
		z := func(seq uint32, n int) []byte {
			return tcpFrame{src: serverIP, dst: clientIP, sport: 443, dport: 443, seq: seq, flags: "PA", payload: n}.bytes(t)
		}
		runCases(t, f, []frameCase{
			{"a starts", a(10, 100), pass},
			{"z starts far away", z(1<<31, 100), pass},
			{"a at 2999", a(10+2999, 100), pass},
			{"z at 2999", z(1<<31+2999, 100), pass},
			{"a at 3000", a(10+3000, 100), overBudget},
			{"z at 3000", z(1<<31+3000, 100), overBudget},
		})
	})

	n, err := f.Flows()
	if err != nil {
		t.Fatal(err)
	}
	// IPv4 and IPv6 connections on port 40000, and one each for the
	// mid-stream, pure-ACK, wrap and 443-to-443 cases.
	if n != 6 {
		t.Errorf("Flows() = %d, want 6", n)
	}
}

func TestReconfigure(t *testing.T) {
	f := loadForTest(t, Config{Ports: []uint16{443}, MapEntries: 16, ClientBudget: 100, ServerBudget: 100, UDPPackets: 4})
	to := func(port uint16, seq uint32) []byte {
		return tcpFrame{src: clientIP, dst: serverIP, sport: 40000, dport: port, seq: seq, flags: "PA", payload: 10}.bytes(t)
	}
	runCases(t, f, []frameCase{
		{"443 watched", to(443, 1), pass},
		{"443 past 100", to(443, 101), overBudget},
		{"993 not watched", to(993, 1), notWatched},
	})
	if err := f.Reconfigure(Config{Ports: []uint16{993}, MapEntries: 16, ClientBudget: 1000, ServerBudget: 1000, UDPPackets: 4}); err != nil {
		t.Fatal(err)
	}
	runCases(t, f, []frameCase{
		{"443 no longer watched", to(443, 101), notWatched},
		{"993 watched", to(993, 1), pass},
		{"993 within the larger budget", to(993, 900), pass},
	})
	if err := f.Reconfigure(Config{Ports: []uint16{993}, MapEntries: 32, ClientBudget: 1000, ServerBudget: 1000, UDPPackets: 4}); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("resizing the map by Reconfigure: err = %v, want ErrInvalidConfig", err)
	}
}

// TestLRUBound checks that the flow map stays within its size.
func TestLRUBound(t *testing.T) {
	const entries = 64
	f := loadForTest(t, Config{Ports: []uint16{443}, MapEntries: entries, ClientBudget: 100, ServerBudget: 100, UDPPackets: 4})
	for port := uint16(1024); port < 1024+4*entries; port++ {
		if got := run(t, f, tcpFrame{src: clientIP, dst: serverIP, sport: port, dport: 443, seq: 1, flags: "S"}.bytes(t)); got == 0 {
			t.Fatalf("SYN from port %d dropped", port)
		}
	}
	n, err := f.Flows()
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 || n > entries {
		t.Errorf("Flows() = %d after %d connections, want 1..%d", n, 4*entries, entries)
	}
}

// Load must refuse a bad config before touching the kernel, so this runs
// without privileges.
func TestLoadRefusesBadConfig(t *testing.T) {
	_, err := Load(Config{Ports: []uint16{443}, MapEntries: 0, ClientBudget: 1, ServerBudget: 1, UDPPackets: 4})
	if !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("Load with no map entries: err = %v, want ErrInvalidConfig", err)
	}
}
