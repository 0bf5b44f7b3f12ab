package pipeline

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/capgen"
)

// TestWiresharkCarrierLinks: a real TLS 1.2 handshake carried as carrier
// and access networks carry subscribers' traffic (PPPoE on Ethernet, an
// MPLS label stack, an MPLS Ethernet pseudowire with its control word,
// PPP and Cisco HDLC links) gives the flow Wireshark 4.0 dissects: the
// same client, SNI and JA3.
func TestWiresharkCarrierLinks(t *testing.T) {
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark not installed (apt-get install tshark): the Wireshark cross-check needs it")
	}
	spec := capgen.FlowSpec{Client: netip.MustParseAddrPort("100.64.7.9:51000"), Server: netip.MustParseAddrPort("198.51.100.4:443"),
		MSS: 700, Handshake: true, Close: capgen.CloseFIN, ACKs: true}
	pkts, err := spec.Packets(tlsConversation(t, tls.VersionTLS12, "carrier.example"))
	if err != nil {
		t.Fatal(err)
	}
	ethernet := func(et uint16, inner ...[]byte) []byte {
		return slices.Concat(append(make([]byte, 12), byte(et>>8), byte(et)), slices.Concat(inner...))
	}
	u16 := func(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
	label := func(l uint32, bottom bool) []byte {
		e := l<<12 | 64
		if bottom {
			e |= 1 << 8
		}
		return binary.BigEndian.AppendUint32(nil, e)
	}
	pppoe := func(ip []byte) []byte {
		return slices.Concat([]byte{0x11, 0, 0, 7}, u16(uint16(2+len(ip))), u16(0x0021), ip)
	}
	for _, c := range []struct {
		name string
		link layers.LinkType
		wrap func(ip []byte) []byte
		// decodeAs tells Wireshark what a link does not say: the
		// pseudowire behind an MPLS label.
		decodeAs string
	}{
		{"pppoe", layers.LinkTypeEthernet, func(ip []byte) []byte { return ethernet(0x8864, pppoe(ip)) }, ""},
		{"mpls", layers.LinkTypeEthernet, func(ip []byte) []byte { return ethernet(0x8847, label(1000, false), label(24, true), ip) }, ""},
		{"mpls-pseudowire", layers.LinkTypeEthernet, func(ip []byte) []byte {
			return ethernet(0x8847, label(300, true), make([]byte, 4), ethernet(0x0800, ip))
		}, "mpls.label==300,pwethcw"},
		{"ppp", layers.LinkTypePPP, func(ip []byte) []byte { return slices.Concat([]byte{0xff, 0x03}, u16(0x0021), ip) }, ""},
		{"chdlc", layers.LinkTypeC_HDLC, func(ip []byte) []byte { return slices.Concat([]byte{0x0f, 0}, u16(0x0800), ip) }, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			wrapped := make([]capgen.Packet, len(pkts))
			for i, p := range pkts {
				wrapped[i] = capgen.Packet{Time: p.Time, Data: c.wrap(p.Data[14:])}
			}
			path := writeCapture(t, c.name, c.link, wrapped)
			if c.decodeAs != "" {
				if _, problems := oneHelloFlow(t, path); len(problems) > 0 {
					t.Fatal(problems)
				}
				out, err := exec.Command("tshark", "-r", path, "-d", c.decodeAs, "-Y", "tls.handshake.type==1", "-T", "fields",
					"-e", "ip.src", "-e", "tcp.srcport", "-e", "tls.handshake.extensions_server_name").Output()
				if want := "100.64.7.9\t51000\tcarrier.example\n"; err != nil || string(out) != want {
					t.Fatalf("Wireshark (-d %s) sees %q (%v), want %q", c.decodeAs, out, err, want)
				}
				return
			}
			helloAsWireshark(t, c.name, path)
		})
	}
}

// writeCapture writes packets of link type lt as a pcap file in a
// temporary directory and returns its path.
func writeCapture(t *testing.T, name string, lt layers.LinkType, pkts []capgen.Packet) string {
	t.Helper()
	var b bytes.Buffer
	if err := capgen.WritePcap(&b, lt, pkts); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name+".pcap")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// oneHelloFlow reads a capture that must hold one flow, with a
// ClientHello, and returns it.
func oneHelloFlow(t *testing.T, path string) (*flow.Flow, []error) {
	t.Helper()
	flows, problems := readCapture(t, path)
	if len(flows) != 1 || len(flows[0].ClientHandshake) == 0 {
		t.Fatalf("%d flows (one with a ClientHello wanted), problems %v", len(flows), problems)
	}
	return flows[0], problems
}

// helloAsWireshark: the capture holds one flow with a ClientHello, read
// without problems, and Wireshark sees that hello as the sensor does
// (compareWithWireshark alone passes when neither decodes the capture).
func helloAsWireshark(t *testing.T, name, path string) {
	t.Helper()
	if _, problems := oneHelloFlow(t, path); len(problems) > 0 {
		t.Fatal(problems)
	}
	if theirs := tsharkHellos(t, path, nil); len(theirs) != 1 {
		t.Fatalf("Wireshark sees %d clients with a ClientHello, want 1", len(theirs))
	}
	compareWithWireshark(t, name, path, 1)
}
