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
				frags := fragmentFrame(p.Data, 128, uint32(0x100+i))
				slices.Reverse(frags)
				for _, f := range frags {
					cut = append(cut, capgen.Packet{Time: p.Time, Data: f})
				}
			}
			if len(cut) < len(pkts)+10 {
				t.Fatalf("%d frames of %d packets: the handshake was not cut", len(cut), len(pkts))
			}
			dir := t.TempDir()
			whole, fragmented := filepath.Join(dir, "whole.pcap"), filepath.Join(dir, "fragmented.pcap")
			for path, ps := range map[string][]capgen.Packet{whole: pkts, fragmented: cut} {
				var b bytes.Buffer
				if err := capgen.WritePcap(&b, layers.LinkTypeEthernet, ps); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, _ := readCapture(t, whole)
			got, problems := readCapture(t, fragmented)
			if len(got) != 1 || len(want) != 1 || len(problems) > 0 {
				t.Fatalf("%d flows (%d unfragmented), problems %v", len(got), len(want), problems)
			}
			if !bytes.Equal(got[0].Prefix, want[0].Prefix) || !bytes.Equal(got[0].ClientHandshake, want[0].ClientHandshake) || len(got[0].ClientHandshake) == 0 {
				t.Errorf("prefix %d bytes, handshake %d: unfragmented %d, %d", len(got[0].Prefix), len(got[0].ClientHandshake), len(want[0].Prefix), len(want[0].ClientHandshake))
			}
			if theirs := tsharkHellos(t, fragmented, nil); len(theirs) != 1 {
				t.Fatalf("Wireshark sees %d clients with a ClientHello, want 1", len(theirs))
			}
			compareWithWireshark(t, c.name, fragmented, 1)
		})
	}
}

// fragmentFrame cuts an Ethernet frame's IP packet into fragments of
// size payload bytes (IPv6: behind a fragment header), each its own frame;
// a packet that fits is returned whole.
func fragmentFrame(frame []byte, size int, id uint32) [][]byte {
	eth, ip := frame[:14], frame[14:]
	v6 := ip[0]>>4 == 6
	hl, end := int(ip[0]&0x0f)*4, int(binary.BigEndian.Uint16(ip[2:4]))
	if v6 {
		hl, end = 40, 40+int(binary.BigEndian.Uint16(ip[4:6]))
	}
	payload := ip[hl:end]
	if len(payload) <= size {
		return [][]byte{frame}
	}
	var out [][]byte
	for off := 0; off < len(payload); off += size {
		stop := min(off+size, len(payload))
		more := stop < len(payload)
		h := bytes.Clone(ip[:hl])
		if v6 {
			fh := []byte{h[6], 0, 0, 0, 0, 0, 0, 0}
			fo := uint16(off/8) << 3
			if more {
				fo |= 1
			}
			binary.BigEndian.PutUint16(fh[2:4], fo)
			binary.BigEndian.PutUint32(fh[4:8], id)
			h[6] = 44
			binary.BigEndian.PutUint16(h[4:6], uint16(8+stop-off))
			h = append(h, fh...)
		} else {
			binary.BigEndian.PutUint16(h[2:4], uint16(hl+stop-off))
			binary.BigEndian.PutUint16(h[4:6], uint16(id))
			fo := uint16(off / 8)
			if more {
				fo |= 0x2000
			}
			binary.BigEndian.PutUint16(h[6:8], fo)
			h[10], h[11] = 0, 0
			var sum uint32
			for i := 0; i < len(h); i += 2 {
				sum += uint32(binary.BigEndian.Uint16(h[i:]))
			}
			for sum > 0xffff {
				sum = sum&0xffff + sum>>16
			}
			binary.BigEndian.PutUint16(h[10:12], ^uint16(sum))
		}
		out = append(out, slices.Concat(eth, h, payload[off:stop]))
	}
	return out
}
