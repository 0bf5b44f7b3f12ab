package capgen

import (
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// TestFlood: each kind gives its packets per flow, from distinct client
// endpoints, in time order, with valid checksums; out-of-order flows
// start each direction one segment after the handshake's next byte.
func TestFlood(t *testing.T) {
	for _, tc := range []struct {
		kind    FloodKind
		perFlow int
	}{{FloodSYN, 1}, {FloodOneSegment, 5}, {FloodOutOfOrder, 3 + 2*4}, {FloodDataRST, 2}} {
		f := Flood{Kind: tc.kind, Flows: 70000, Clients: netip.MustParsePrefix("10.64.0.0/10"), Server: netip.MustParseAddrPort("192.0.2.1:443"), Segments: 4, SegmentLen: 100}
		if tc.kind != FloodSYN {
			f.Flows = 300
		}
		var last Packet
		clients := map[netip.AddrPort]int{}
		n := 0
		err := f.Each(func(p Packet) error {
			if p.Time.Before(last.Time) {
				t.Fatalf("kind %d packet %d goes back in time", tc.kind, n)
			}
			last = p
			pkt := gopacket.NewPacket(p.Data, layers.LayerTypeEthernet, gopacket.Default)
			ip, _ := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
			tcp, _ := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
			if ip == nil || tcp == nil || pkt.ErrorLayer() != nil || onesSum(ip.Contents, 0) != 0xffff {
				t.Fatalf("kind %d packet %d: not a valid TCP/IPv4 frame", tc.kind, n)
			}
			if tcp.DstPort == 443 {
				src, _ := netip.AddrFromSlice(ip.SrcIP)
				clients[netip.AddrPortFrom(src, uint16(tcp.SrcPort))]++
			}
			n++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != f.Flows*tc.perFlow || len(clients) != f.Flows {
			t.Errorf("kind %d: %d packets from %d clients, want %d from %d", tc.kind, n, len(clients), f.Flows*tc.perFlow, f.Flows)
		}
	}
	if err := (Flood{Flows: 70000, Clients: netip.MustParsePrefix("10.0.0.1/32"), Server: netip.MustParseAddrPort("192.0.2.1:443")}).Each(func(Packet) error { return nil }); err == nil {
		t.Error("70000 flows from one address accepted")
	}
}
