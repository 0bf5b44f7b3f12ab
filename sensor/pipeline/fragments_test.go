package pipeline

import (
	"bytes"
	"context"
	"crypto/tls"
	"net/netip"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/sharedpcaps"
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

// TestTinyFragments: a connection whose packets are cut into IP fragments
// smaller than any link needs (under 576 bytes for IPv4, 1280 for IPv6,
// a datagram's last fragment aside) is reassembled and its flow says so,
// side by side, with the smallest fragment's IP length; cut into
// fragments of ordinary size, or not at all, it says nothing.
func TestTinyFragments(t *testing.T) {
	// Both sides send full-sized segments (MSS 1400), so that IPv6 ones
	// can be cut at 1232 bytes of payload.
	cert, err := capgen.SelfSignedCert(capgen.CertOptions{CommonName: "fragments.example", DNSNames: []string{"fragments.example"}, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	cc, sc := capgen.TLSConfigs(cert, "fragments.example")
	conv, err := capgen.TLSConversation(context.Background(), cc, sc, capgen.TLSOptions{
		ClientData: bytes.Repeat([]byte("POST / HTTP/1.1\r\n"), 200),
		ServerData: bytes.Repeat([]byte("response body "), 300),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name           string
		client, server string
		size           int // fragment payload
		smallest       int // IP length of the smallest fragment but the last; 0: not tiny
	}{
		{"ipv4 tiny", "198.51.100.9:52000", "203.0.113.5:443", 128, 20 + 128},
		{"ipv4 just under 576", "198.51.100.9:52000", "203.0.113.5:443", 552, 20 + 552},
		{"ipv4 576 and over", "198.51.100.9:52000", "203.0.113.5:443", 560, 0},
		{"ipv6 tiny", "[2001:db8::9]:52000", "[2001:db8::5]:443", 128, 48 + 128},
		{"ipv6 just under 1280", "[2001:db8::9]:52000", "[2001:db8::5]:443", 1224, 48 + 1224},
		{"ipv6 1280", "[2001:db8::9]:52000", "[2001:db8::5]:443", 1232, 0},
		{"ipv6 whole", "[2001:db8::9]:52000", "[2001:db8::5]:443", 1 << 16, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec := capgen.FlowSpec{Client: netip.MustParseAddrPort(c.client), Server: netip.MustParseAddrPort(c.server),
				MSS: 1400, Handshake: true, Close: capgen.CloseFIN, ACKs: true}
			pkts, err := spec.Packets(conv)
			if err != nil {
				t.Fatal(err)
			}
			var cut []capgen.Packet
			for i, p := range pkts {
				for _, f := range capgen.FragmentFrame(p.Data, c.size, uint32(0x200+i)) {
					cut = append(cut, capgen.Packet{Time: p.Time, Data: f})
				}
			}
			if c.size < 1<<16 && len(cut) == len(pkts) {
				t.Fatal("no packet was cut")
			}
			f, _ := oneHelloFlow(t, writeCapture(t, "cut", layers.LinkTypeEthernet, cut))
			for _, side := range []struct {
				name string
				got  *flow.Fragmented
			}{{"client", f.ClientTinyFragments}, {"server", f.ServerTinyFragments}} {
				switch {
				case c.smallest == 0 && side.got != nil:
					t.Errorf("%s: %+v, fragments of ordinary size", side.name, *side.got)
				case c.smallest > 0 && (side.got == nil || side.got.Smallest != c.smallest || side.got.Segments < 1):
					t.Errorf("%s: %+v, want the smallest %d", side.name, side.got, c.smallest)
				}
			}
		})
	}
}

// TestTinyFragmentsQUIC: QUIC forbids IP fragmentation (RFC 9000 14); a
// real QUIC handshake (suricata-verify's quic-ietf-ja3) whose datagrams
// are cut into 256-byte fragments is reassembled, read as QUIC as before,
// and its flow says it came in tiny fragments.
func TestTinyFragmentsQUIC(t *testing.T) {
	path := filepath.Join(sharedpcaps.PcapDir(t), "suricata-verify/quic-ietf-ja3_input.pcap")
	pkts := ethernetFrames(t, path)
	var cut []capgen.Packet
	for i, p := range pkts {
		for _, f := range capgen.FragmentFrame(p.Data, 256, uint32(i+1)) {
			cut = append(cut, capgen.Packet{Time: p.Time, Data: f})
		}
	}
	if len(cut) <= len(pkts) {
		t.Fatal("no datagram was cut")
	}
	whole, _ := readCapture(t, writeCapture(t, "whole", layers.LinkTypeEthernet, pkts))
	got, _ := readCapture(t, writeCapture(t, "cut", layers.LinkTypeEthernet, cut))
	if len(got) != 1 || len(whole) != 1 || got[0].QUIC == nil {
		t.Fatalf("%d flows cut, %d whole; want one QUIC flow each", len(got), len(whole))
	}
	if !bytes.Equal(got[0].ClientHandshake, whole[0].ClientHandshake) || got[0].ClientTinyFragments == nil || whole[0].ClientTinyFragments != nil {
		t.Errorf("cut: hello %d bytes, tiny fragments %+v; whole: %d bytes, %+v",
			len(got[0].ClientHandshake), got[0].ClientTinyFragments, len(whole[0].ClientHandshake), whole[0].ClientTinyFragments)
	}
}
