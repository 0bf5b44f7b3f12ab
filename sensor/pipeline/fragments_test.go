package pipeline

import (
	"bytes"
	"crypto/tls"
	"net/netip"
	"os/exec"
	"slices"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/tlsentry/tlsentry/internal/capgen"
)

// TestWiresharkFragmentedHandshake: a real TLS 1.2 handshake whose IPv4
// or IPv6 packets are cut into fragments of 128 bytes, each datagram's
// last fragment first, gives the flow Wireshark 4.0 dissects after its
// own reassembly (the same client, SNI and JA3), and the flow's prefix is
// the unfragmented capture's, byte for byte.
func TestWiresharkFragmentedHandshake(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed (apt-get install tshark): the Wireshark cross-check needs it")
	}
	conv := tlsConversation(t, tls.VersionTLS12, "fragments.example")
	for _, c := range []struct{ name, client, server string }{
		{"ipv4", "198.51.100.9:52000", "203.0.113.5:443"},
		{"ipv6", "[2001:db8::9]:52000", "[2001:db8::5]:443"},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec := capgen.FlowSpec{Client: netip.MustParseAddrPort(c.client), Server: netip.MustParseAddrPort(c.server),
				MSS: 1200, Handshake: true, Close: capgen.CloseFIN, ACKs: true}
			pkts, err := spec.Packets(conv)
			if err != nil {
				t.Fatal(err)
			}
			var cut []capgen.Packet
			for i, p := range pkts {
				frags := capgen.FragmentFrame(p.Data, 128, uint32(0x100+i))
				slices.Reverse(frags)
				for _, f := range frags {
					cut = append(cut, capgen.Packet{Time: p.Time, Data: f})
				}
			}
			if len(cut) < len(pkts)+10 {
				t.Fatalf("%d frames of %d packets: the handshake was not cut", len(cut), len(pkts))
			}
			want, _ := oneHelloFlow(t, writeCapture(t, "whole", layers.LinkTypeEthernet, pkts))
			fragmented := writeCapture(t, "fragmented", layers.LinkTypeEthernet, cut)
			got, _ := oneHelloFlow(t, fragmented)
			if !bytes.Equal(got.Prefix, want.Prefix) || !bytes.Equal(got.ClientHandshake, want.ClientHandshake) {
				t.Errorf("prefix %d bytes, handshake %d: unfragmented %d, %d", len(got.Prefix), len(got.ClientHandshake), len(want.Prefix), len(want.ClientHandshake))
			}
			helloAsWireshark(t, c.name, fragmented)
		})
	}
}
