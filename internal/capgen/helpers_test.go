package capgen

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// decoded is what the tests need from one generated frame.
type decoded struct {
	fromClient               bool
	seq, ack                 uint32
	syn, ackf, psh, fin, rst bool
	payload                  []byte
	vlan                     uint16
	mss                      int // from a SYN's MSS option; 0 if absent
}

// decodeAll parses every frame with gopacket, checks lengths and checksums
// (with its own one's-complement sum, not gopacket's), and that each frame
// belongs to the spec's flow.
func decodeAll(t *testing.T, s FlowSpec, pkts []Packet) []decoded {
	t.Helper()
	out := make([]decoded, 0, len(pkts))
	for i, p := range pkts {
		pkt := gopacket.NewPacket(p.Data, layers.LayerTypeEthernet, gopacket.Default)
		if el := pkt.ErrorLayer(); el != nil {
			t.Fatalf("packet %d: decode error: %v", i, el.Error())
		}
		var d decoded
		ethLen := 14
		if q, ok := pkt.Layer(layers.LayerTypeDot1Q).(*layers.Dot1Q); ok {
			d.vlan = q.VLANIdentifier
			ethLen += 4
		}
		if d.vlan != s.VLAN {
			t.Fatalf("packet %d: VLAN %d, want %d", i, d.vlan, s.VLAN)
		}
		var src, dst netip.Addr
		var pseudo []byte
		var tcpBytes []byte
		switch ip := pkt.NetworkLayer().(type) {
		case *layers.IPv4:
			src, _ = netip.AddrFromSlice(ip.SrcIP)
			dst, _ = netip.AddrFromSlice(ip.DstIP)
			checkFrameLen(t, i, p.Data, ethLen+int(ip.Length))
			if sum := onesSum(ip.Contents, 0); sum != 0xffff {
				t.Fatalf("packet %d: bad IPv4 header checksum", i)
			}
			tcpBytes = ip.Payload
			pseudo = append(append(src.AsSlice(), dst.AsSlice()...), 0, 6, 0, 0)
			binary.BigEndian.PutUint16(pseudo[10:], uint16(len(tcpBytes)))
		case *layers.IPv6:
			src, _ = netip.AddrFromSlice(ip.SrcIP)
			dst, _ = netip.AddrFromSlice(ip.DstIP)
			checkFrameLen(t, i, p.Data, ethLen+40+int(ip.Length))
			tcpBytes = ip.Payload
			pseudo = append(append(src.AsSlice(), dst.AsSlice()...), 0, 0, 0, 0, 0, 0, 0, 6)
			binary.BigEndian.PutUint32(pseudo[32:], uint32(len(tcpBytes)))
		default:
			t.Fatalf("packet %d: no IP layer", i)
		}
		if sum := onesSum(tcpBytes, onesSumPartial(pseudo)); sum != 0xffff {
			t.Fatalf("packet %d: bad TCP checksum", i)
		}
		tcp, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if !ok {
			t.Fatalf("packet %d: no TCP layer", i)
		}
		from := netip.AddrPortFrom(src, uint16(tcp.SrcPort))
		to := netip.AddrPortFrom(dst, uint16(tcp.DstPort))
		switch {
		case from == s.Client && to == s.Server:
			d.fromClient = true
		case from == s.Server && to == s.Client:
		default:
			t.Fatalf("packet %d: %v -> %v is not the flow %v <-> %v", i, from, to, s.Client, s.Server)
		}
		d.seq, d.ack = tcp.Seq, tcp.Ack
		d.syn, d.ackf, d.psh, d.fin, d.rst = tcp.SYN, tcp.ACK, tcp.PSH, tcp.FIN, tcp.RST
		d.payload = tcp.Payload
		for _, o := range tcp.Options {
			if o.OptionType == layers.TCPOptionKindMSS {
				d.mss = int(binary.BigEndian.Uint16(o.OptionData))
			}
		}
		out = append(out, d)
	}
	return out
}

// checkFrameLen: the IP length covers the frame, except that short frames are
// zero-padded to Ethernet's 60-byte minimum, as on a real wire.
func checkFrameLen(t *testing.T, i int, frame []byte, ipEnd int) {
	t.Helper()
	switch {
	case ipEnd == len(frame):
	case ipEnd < len(frame) && len(frame) == 60 && bytes.Count(frame[ipEnd:], []byte{0}) == len(frame)-ipEnd:
	default:
		t.Fatalf("packet %d: IP ends at %d, frame has %d bytes", i, ipEnd, len(frame))
	}
}

// onesSumPartial is the unfolded 32-bit sum of b's 16-bit words.
func onesSumPartial(b []byte) uint32 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	return s
}

// onesSum folds b's sum plus initial; data with a correct checksum gives 0xffff.
func onesSum(b []byte, initial uint32) uint16 {
	s := initial + onesSumPartial(b)
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

// refReassembler is the simplest correct reassembler: each direction in
// sequence order, directions interleaved in the order bytes became
// deliverable. It also checks every captured byte against the expected stream.
type refReassembler struct {
	t       *testing.T
	base    [2]uint32 // sequence number of stream offset 0
	want    [2][]byte // expected streams
	next    [2]int    // next offset to deliver
	pending [2][]pendingSeg
	out     []byte // delivered, both directions, in order
	covered [2][]bool
}

type pendingSeg struct {
	off  int
	data []byte
}

func newRef(t *testing.T, s FlowSpec, conv Conversation) *refReassembler {
	r := &refReassembler{t: t}
	r.base[1], r.base[0] = s.ClientISN+1, s.ServerISN+1
	r.want[1], r.want[0] = conv.ClientStream(), conv.ServerStream()
	r.covered[1], r.covered[0] = make([]bool, len(r.want[1])), make([]bool, len(r.want[0]))
	return r
}

func (r *refReassembler) add(i int, d decoded) {
	if len(d.payload) == 0 {
		return
	}
	k := dirIndex(d.fromClient)
	off := int(int32(d.seq - r.base[k])) // wraps like TCP does
	if off < 0 || off+len(d.payload) > len(r.want[k]) {
		r.t.Fatalf("packet %d: segment [%d,%d) outside the stream (len %d)", i, off, off+len(d.payload), len(r.want[k]))
	}
	if !bytes.Equal(d.payload, r.want[k][off:off+len(d.payload)]) {
		r.t.Fatalf("packet %d: bytes at offset %d differ from the conversation", i, off)
	}
	for j := range d.payload {
		r.covered[k][off+j] = true
	}
	r.pending[k] = append(r.pending[k], pendingSeg{off, d.payload})
	for progress := true; progress; {
		progress = false
		for _, p := range r.pending[k] {
			if p.off <= r.next[k] && p.off+len(p.data) > r.next[k] {
				r.out = append(r.out, p.data[r.next[k]-p.off:]...)
				r.next[k] = p.off + len(p.data)
				progress = true
			}
		}
	}
}
