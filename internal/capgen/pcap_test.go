package capgen

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

func readPcap(t *testing.T, path string) []Packet {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if r.LinkType() != layers.LinkTypeEthernet || r.Snaplen() != Snaplen {
		t.Fatalf("link type %v, snaplen %d", r.LinkType(), r.Snaplen())
	}
	var pkts []Packet
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return pkts
		}
		if err != nil {
			t.Fatal(err)
		}
		if ci.CaptureLength != len(data) || ci.Length != len(data) {
			t.Fatalf("lengths %d/%d for %d bytes", ci.CaptureLength, ci.Length, len(data))
		}
		pkts = append(pkts, Packet{Time: ci.Timestamp, Data: data})
	}
}

// TestEndToEnd: a real TLS handshake, impaired on the wire, written to a file
// and read back, reassembles to exactly the conversation's prefix.
func TestEndToEnd(t *testing.T) {
	cert := testCert(t, RSA2048)
	ccfg, scfg := TLSConfigs(cert, "test.example")
	conv, err := TLSConversation(context.Background(), ccfg, scfg, TLSOptions{ClientData: []byte("GET / HTTP/1.1\r\n\r\n"), ServerData: bytes.Repeat([]byte("x"), 3000)})
	if err != nil {
		t.Fatal(err)
	}
	s := FlowSpec{
		Client:       netip.MustParseAddrPort("[2001:db8::10]:50123"),
		Server:       netip.MustParseAddrPort("[2001:db8::20]:443"),
		VLAN:         42,
		Step:         250 * time.Microsecond,
		ClientISN:    0xffffff00,
		ServerISN:    0xfffffff0,
		MSS:          536,
		Handshake:    true,
		Close:        CloseFIN,
		ACKs:         true,
		ClientImpair: Impairments{Reorder: 1, Duplicate: 0.3, Retransmit: 0.3, Overlap: 0.3},
		ServerImpair: Impairments{Reorder: 1, Duplicate: 0.3, Retransmit: 0.3, Overlap: 0.3},
		Seed:         5,
	}
	pkts, err := s.Packets(conv)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tls.pcap")
	if err := WriteFile(path, pkts); err != nil {
		t.Fatal(err)
	}
	back := readPcap(t, path)
	if len(back) != len(pkts) {
		t.Fatalf("read %d packets, wrote %d", len(back), len(pkts))
	}
	for i := range back {
		if !back[i].Time.Equal(pkts[i].Time) || !bytes.Equal(back[i].Data, pkts[i].Data) {
			t.Fatalf("packet %d changed on the way through the file", i)
		}
	}
	_, ref := checkFlow(t, s, conv, back)
	if !bytes.Equal(ref.out[:1024], conv.Prefix(1024)) {
		t.Fatal("prefix differs")
	}
	if p := conv.Prefix(1024); p[0] != 0x16 || p[5] != 1 {
		t.Fatal("prefix does not start with a ClientHello")
	}
}

func TestMerge(t *testing.T) {
	at := func(ms int, tag byte) Packet {
		return Packet{Time: time.Unix(0, 0).Add(time.Duration(ms) * time.Millisecond), Data: []byte{tag}}
	}
	a := []Packet{at(0, 'a'), at(2, 'b'), at(2, 'c'), at(5, 'd')}
	b := []Packet{at(1, 'A'), at(2, 'B'), at(9, 'C')}
	c := []Packet{at(3, '1'), at(1, '2')} // unsorted: keeps its own order
	var got []byte
	for _, p := range Merge(a, b, nil, c) {
		got = append(got, p.Data[0])
	}
	if want := "aAbcB12dC"; string(got) != want {
		t.Fatalf("merged %q, want %q", got, want)
	}
	if len(Merge()) != 0 {
		t.Fatal("empty merge")
	}
}

func TestWritePcapManyFlows(t *testing.T) {
	var flows [][]Packet
	for i := range 5 {
		s := baseSpec()
		s.Client = netip.AddrPortFrom(s.Client.Addr(), uint16(50000+i))
		s.Start = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 300 * time.Microsecond)
		p, err := s.Packets(RandomConversation(uint64(i), 4, 2000))
		if err != nil {
			t.Fatal(err)
		}
		flows = append(flows, p)
	}
	merged := Merge(flows...)
	var buf bytes.Buffer
	if err := WritePcap(&buf, layers.LinkTypeEthernet, merged); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "many.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	back := readPcap(t, path)
	if len(back) != len(merged) {
		t.Fatalf("%d packets back, %d written", len(back), len(merged))
	}
	for i := 1; i < len(back); i++ {
		if back[i].Time.Before(back[i-1].Time) {
			t.Fatalf("packet %d goes back in time", i)
		}
	}
}

func TestConversationHelpers(t *testing.T) {
	conv := Conversation{ClientWrite([]byte("abc")), ServerWrite([]byte("12")), ClientWrite([]byte("de"))}
	if got := string(conv.Prefix(4)); got != "abc1" {
		t.Fatalf("Prefix(4) = %q", got)
	}
	if got := string(conv.Prefix(100)); got != "abc12de" {
		t.Fatalf("Prefix(100) = %q", got)
	}
	if got := conv.PaddedPrefix(9); !bytes.Equal(got, []byte("abc12de\x00\x00")) {
		t.Fatalf("PaddedPrefix(9) = %q", got)
	}
	if string(conv.ClientStream()) != "abcde" || string(conv.ServerStream()) != "12" {
		t.Fatal("streams")
	}
	if got := string(conv.ContiguousPrefix(100, []Gap{{FromClient: true, Offset: 4, Len: 1}})); got != "abc12d" {
		t.Fatalf("ContiguousPrefix = %q", got)
	}
	if got := string(conv.ContiguousPrefix(100, []Gap{{FromClient: false, Offset: 1, Len: 1}})); got != "abc1" {
		t.Fatalf("ContiguousPrefix = %q", got)
	}
	ssh := SSHBanners("SSH-2.0-OpenSSH_9.6", "SSH-2.0-Go")
	if ssh[0].FromClient || string(ssh.Prefix(8)) != "SSH-2.0-" {
		t.Fatal("SSH banners")
	}
	r1, r2 := RandomConversation(1, 10, 50), RandomConversation(1, 10, 50)
	if len(r1) != 10 || !r1[0].FromClient || !bytes.Equal(r1.Prefix(1024), r2.Prefix(1024)) {
		t.Fatal("RandomConversation not deterministic")
	}
}

// TestTsharkAgrees uses Wireshark as an independent oracle (DESIGN.md §5):
// every checksum verifies and the ClientHello of each impaired flow is found,
// SNI included, once tshark reassembles out-of-order segments.
func TestTsharkAgrees(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	cert := testCert(t, ECDSAP256)
	var flows [][]Packet
	for i, client := range []string{"10.1.0.1:40000", "[2001:db8::1]:40001", "10.1.0.3:40002"} {
		ccfg, scfg := TLSConfigs(cert, "test.example")
		conv, err := TLSConversation(context.Background(), ccfg, scfg, TLSOptions{ClientData: []byte("hi")})
		if err != nil {
			t.Fatal(err)
		}
		s := baseSpec()
		s.Client = netip.MustParseAddrPort(client)
		if s.Client.Addr().Is6() {
			s.Server = netip.MustParseAddrPort("[2001:db8::2]:443")
		}
		s.VLAN = uint16(i * 10) // the first untagged
		s.MSS = 300
		s.ClientISN = 0xffffff80
		s.Seed = uint64(i)
		s.ClientImpair = Impairments{Reorder: 1, Duplicate: 0.3, Retransmit: 0.3, Overlap: 0.3}
		s.ServerImpair = s.ClientImpair
		p, err := s.Packets(conv)
		if err != nil {
			t.Fatal(err)
		}
		flows = append(flows, p)
	}
	path := filepath.Join(t.TempDir(), "oracle.pcap")
	if err := WriteFile(path, Merge(flows...)); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, tshark, append([]string{"-r", path, "-o", "tcp.reassemble_out_of_order:TRUE"}, args...)...).Output()
		if err != nil {
			t.Fatalf("tshark: %v", err)
		}
		return string(out)
	}
	status := run("-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE", "-T", "fields", "-e", "tcp.checksum.status", "-e", "ip.checksum.status")
	for line := range strings.Lines(status) {
		for _, f := range strings.Fields(line) {
			if f != "1" { // 1: good, 0: bad, 2: unverified
				t.Fatalf("tshark checksum status %q", line)
			}
		}
	}
	snis := strings.Fields(run("-Y", "tls.handshake.type == 1", "-T", "fields", "-e", "tls.handshake.extensions_server_name"))
	if len(snis) != len(flows) {
		t.Fatalf("tshark found %d ClientHellos %v, want %d", len(snis), snis, len(flows))
	}
	for _, s := range snis {
		if s != "test.example" {
			t.Fatalf("SNI %q", s)
		}
	}
}
