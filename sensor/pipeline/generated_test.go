package pipeline

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/capgen"
)

// tlsConversation runs a real handshake (TLS 1.2 or 1.3) with some
// application data after it.
func tlsConversation(t *testing.T, version uint16, sni string) capgen.Conversation {
	t.Helper()
	cert, err := capgen.SelfSignedCert(capgen.CertOptions{CommonName: sni, DNSNames: []string{sni}, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	cc, sc := capgen.TLSConfigs(cert, sni)
	cc.MaxVersion, sc.MaxVersion = version, version
	conv, err := capgen.TLSConversation(context.Background(), cc, sc, capgen.TLSOptions{
		ClientData: bytes.Repeat([]byte("GET / HTTP/1.1\r\n"), 40),
		ServerData: bytes.Repeat([]byte("response body "), 80),
	})
	if err != nil {
		t.Fatal(err)
	}
	return conv
}

// TestGeneratedFlowsExactPrefix writes real handshakes as pcap with
// segmentation, reordering, loss, duplication, overlaps and sequence wrap,
// and checks the sensor rebuilds each flow's prefix byte for byte.
func TestGeneratedFlowsExactPrefix(t *testing.T) {
	convs := map[string]capgen.Conversation{
		"tls12": tlsConversation(t, tls.VersionTLS12, "a.example"),
		"tls13": tlsConversation(t, tls.VersionTLS13, "b.example"),
		"http":  capgen.HTTPExchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\nhello"),
		"ssh":   capgen.SSHBanners("SSH-2.0-OpenSSH_9.2\r\n", "SSH-2.0-Go\r\n"),
		"rand":  capgen.RandomConversation(3, 6, 900),
	}
	type want struct {
		conv capgen.Conversation
		spec capgen.FlowSpec
	}
	byClient := map[netip.AddrPort]want{}
	var all [][]capgen.Packet
	i := 0
	for name, conv := range convs {
		for variant := range 8 {
			i++
			im := capgen.Impairments{}
			if variant&1 != 0 {
				im.Reorder = 0.5
			}
			if variant&2 != 0 {
				im.Duplicate, im.Retransmit = 0.3, 0.3
			}
			if variant&4 != 0 {
				im.Overlap = 0.4
			}
			client := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), uint16(40000+i))
			// Not a TLS port: there the non-TLS conversations would be
			// handed out (decided) before their prefix fills.
			server := netip.MustParseAddrPort("192.0.2.1:4433")
			if variant >= 4 {
				client = netip.AddrPortFrom(netip.MustParseAddr(fmt.Sprintf("2001:db8::%x", i)), uint16(40000+i))
				server = netip.MustParseAddrPort("[2001:db8::1]:4433")
			}
			spec := capgen.FlowSpec{
				Client: client, Server: server,
				ClientISN: 0xffffffff - uint32(variant*300), ServerISN: uint32(variant) * 1e6,
				MSS: 200 + 150*variant, Handshake: true, Close: capgen.CloseFIN, ACKs: true,
				ClientImpair: im, ServerImpair: im, Seed: uint64(i),
				VLAN: uint16(variant % 2 * 100),
			}
			pkts, err := spec.Packets(conv)
			if err != nil {
				t.Fatalf("%s/%d: %v", name, variant, err)
			}
			byClient[client] = want{conv, spec}
			all = append(all, pkts)
		}
	}
	path := filepath.Join(t.TempDir(), "gen.pcap")
	if err := capgen.WriteFile(path, capgen.Merge(all...)); err != nil {
		t.Fatal(err)
	}
	flows, problems := readCapture(t, path)
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	if len(flows) != len(byClient) {
		t.Fatalf("%d flows, want %d", len(flows), len(byClient))
	}
	for _, f := range flows {
		w, ok := byClient[f.Client.AddrPort()]
		if !ok {
			t.Errorf("flow from unexpected client %v (server %v)", f.Client.AddrPort(), f.Server.AddrPort())
			continue
		}
		if exp := w.conv.Prefix(flow.PrefixSize); !bytes.Equal(f.Prefix, exp) {
			t.Errorf("%v: prefix differs at byte %d (len %d, want %d)", f.Client.AddrPort(), firstDiff(f.Prefix, exp), len(f.Prefix), len(exp))
		}
		if f.PrefixGap || f.Midstream || f.ClientByPort {
			t.Errorf("%v: gap %v midstream %v guessed %v", f.Client.AddrPort(), f.PrefixGap, f.Midstream, f.ClientByPort)
		}
		checkHandshake(t, f, w.conv)
	}
}

// checkHandshake: a TLS flow keeps each direction's stream from its first
// byte up to the end of the first handshake messages.
func checkHandshake(t *testing.T, f *flow.Flow, conv capgen.Conversation) {
	t.Helper()
	cs, ss := conv.ClientStream(), conv.ServerStream()
	isTLS := cs[0] == 0x16
	if !isTLS {
		if len(f.ClientHandshake)+len(f.ServerHandshake) > 0 {
			t.Errorf("%v: handshake kept for a non-TLS flow", f.Client.AddrPort())
		}
		return
	}
	if len(f.ClientHandshake) == 0 || !bytes.HasPrefix(cs, f.ClientHandshake) {
		t.Errorf("%v: client handshake is not the start of the client stream", f.Client.AddrPort())
	}
	if hl := 5 + int(cs[3])<<8 | int(cs[4]); len(f.ClientHandshake) < hl {
		t.Errorf("%v: client handshake %d bytes, shorter than the ClientHello record (%d)", f.Client.AddrPort(), len(f.ClientHandshake), hl)
	}
	if len(f.ServerHandshake) == 0 || !bytes.HasPrefix(ss, f.ServerHandshake) {
		t.Errorf("%v: server handshake is not the start of the server stream", f.Client.AddrPort())
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestGeneratedGapAndMidstream: a segment lost for good leaves a flagged
// gap and no invented bytes; a capture that starts mid-stream still finds
// the client from its ClientHello.
func TestGeneratedGapAndMidstream(t *testing.T) {
	conv := tlsConversation(t, tls.VersionTLS12, "gap.example")
	client := netip.MustParseAddrPort("10.9.9.9:51000")
	server := netip.MustParseAddrPort("192.0.2.9:443")
	spec := capgen.FlowSpec{Client: client, Server: server, MSS: 100, Handshake: true, Close: capgen.CloseFIN,
		ClientImpair: capgen.Impairments{Gap: 2}, Seed: 1}
	pkts, err := spec.Packets(conv)
	if err != nil {
		t.Fatal(err)
	}
	gaps, err := spec.Gaps(conv)
	if err != nil {
		t.Fatal(err)
	}
	mid := capgen.FlowSpec{Client: netip.MustParseAddrPort("10.9.9.10:51001"), Server: server, MSS: 300, Handshake: false}
	midPkts, err := mid.Packets(conv)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "gap.pcap")
	if err := capgen.WriteFile(path, capgen.Merge(pkts, midPkts)); err != nil {
		t.Fatal(err)
	}
	flows, problems := readCapture(t, path)
	if len(problems) > 0 || len(flows) != 2 {
		t.Fatalf("%d flows, problems %v", len(flows), problems)
	}
	for _, f := range flows {
		switch f.Client.AddrPort() {
		case client:
			exp := conv.ContiguousPrefix(flow.PrefixSize, gaps)
			if !f.PrefixGap || !bytes.HasPrefix(f.Prefix, exp) {
				t.Errorf("gap flow: gap %v, prefix does not start with the %d bytes before the gap", f.PrefixGap, len(exp))
			}
			if len(f.ClientHandshake) == 0 || !f.ClientHandshakeGap {
				t.Errorf("gap flow: client handshake %d bytes, gap %v: want the part before the gap, flagged", len(f.ClientHandshake), f.ClientHandshakeGap)
			}
		case mid.Client:
			if !f.Midstream || f.ClientByPort || !bytes.Equal(f.Prefix, conv.Prefix(flow.PrefixSize)) {
				t.Errorf("mid-stream flow: midstream %v guessed %v prefix ok %v", f.Midstream, f.ClientByPort, bytes.Equal(f.Prefix, conv.Prefix(flow.PrefixSize)))
			}
		default:
			t.Errorf("unexpected flow %v -> %v", f.Client.AddrPort(), f.Server.AddrPort())
		}
	}
}
