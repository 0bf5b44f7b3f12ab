package decode

import (
	"encoding/binary"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor/defrag"
)

// Link types (LINKTYPE_* values of pcap and pcapng; DLT_RAW's platform
// variants 12 and 14 are accepted as raw IP).
const (
	LinkNull     uint32 = 0
	LinkEthernet uint32 = 1
	LinkRawBSD1  uint32 = 12
	LinkRawBSD2  uint32 = 14
	LinkRaw      uint32 = 101
	LinkLoop     uint32 = 108
	LinkSLL      uint32 = 113
	LinkIPv4     uint32 = 228
	LinkIPv6     uint32 = 229
	LinkSLL2     uint32 = 276
)

// SupportedLinkType reports whether Decode understands the link type.
func SupportedLinkType(lt uint32) bool {
	switch lt {
	case LinkNull, LinkEthernet, LinkRawBSD1, LinkRawBSD2, LinkRaw, LinkLoop, LinkSLL, LinkIPv4, LinkIPv6, LinkSLL2,
		LinkPPP, LinkPPPSerial, LinkPPPEther, LinkCHDLC:
		return true
	}
	return false
}

const (
	etherIPv4    = 0x0800
	etherIPv6    = 0x86dd
	etherVLAN    = 0x8100
	etherQinQ    = 0x88a8
	etherQinQ2   = 0x9100
	etherTEB     = 0x6558 // transparent Ethernet bridging (GRE, Geneve)
	etherERSPAN2 = 0x88be
	etherERSPAN3 = 0x22eb

	protoIPIP        = 4
	protoTCP         = 6
	protoUDP         = 17
	protoIPv6        = 41
	protoGRE         = 47
	maxEncapsulation = 4 // tunnels within tunnels beyond this are skipped
)

// Decoder turns a captured frame into a TCP segment or UDP datagram. It
// allocates nothing: the segment's payload aliases the frame.
type Decoder struct {
	// Ports of UDP tunnels to open (VXLAN, Geneve, CAPWAP, GTP-U); others
	// are skipped.
	VXLANPorts  []uint16
	GenevePorts []uint16
	CAPWAPPorts []uint16
	GTPUPorts   []uint16
	// UDPPorts are the watched UDP ports: a datagram from or to one of
	// them (not a tunnel's) becomes a segment (for QUIC); other UDP is
	// skipped as SkipNotTCP. Nil: every port.
	UDPPorts *PortSet

	// fragment, when set (Fragment's copy only), gets the IP packet of a
	// frame skipped as a fragment.
	fragment *[]byte
}

// Fragment returns the IP packet, from its IP header on, of a frame that
// Decode skips as an IP fragment (SkipFragment): the innermost one, inside
// any tunnels, for a reassembler (sensor/defrag) to make whole and Decode
// again as raw IP. ok is false for any other frame.
func (d *Decoder) Fragment(lt uint32, frame []byte) (pkt []byte, ok bool) {
	c := *d
	c.fragment = &pkt
	var seg flow.Segment
	if c.Decode(lt, frame, &seg) != SkipFragment {
		return nil, false
	}
	return pkt, pkt != nil
}

// Reassemble gives frame, which Decode skipped as an IP fragment, to
// frags, seen at packet time at (Unix ns). The frame that completes a
// datagram decodes it whole into seg (SkipNone) and marks the segment
// when it came in fragments smaller than any link needs
// (Segment.TinyFragment, defrag.Table.Tiny); the others stay skipped as
// fragments.
func (d *Decoder) Reassemble(frags *defrag.Table, lt uint32, frame []byte, at int64, seg *flow.Segment) SkipReason {
	pkt, ok := d.Fragment(lt, frame)
	if !ok {
		return SkipFragment
	}
	whole, ok := frags.Add(pkt, at)
	if !ok {
		return SkipFragment
	}
	why := d.Decode(LinkRaw, whole, seg)
	seg.TinyFragment = frags.Tiny()
	return why
}

// NewDecoder returns a decoder that opens VXLAN on UDP 4789 and 8472,
// Geneve on UDP 6081, CAPWAP data on UDP 5247 and GTP-U (mobile
// networks' user plane) on UDP 2152.
func NewDecoder() *Decoder {
	return &Decoder{VXLANPorts: []uint16{4789, 8472}, GenevePorts: []uint16{6081}, CAPWAPPorts: []uint16{5247}, GTPUPorts: []uint16{2152}}
}

// Decode fills seg from frame (of link type lt). It returns SkipNone when
// seg holds a TCP segment or a watched UDP datagram (seg.Transport says
// which), otherwise why the frame carries neither.
func (d *Decoder) Decode(lt uint32, frame []byte, seg *flow.Segment) SkipReason {
	seg.WireLen = len(frame)
	seg.TinyFragment = 0 // set by the caller that reassembled frame, if so
	switch lt {
	case LinkEthernet:
		return d.ethernet(frame, seg, 0)
	case LinkRaw, LinkRawBSD1, LinkRawBSD2, LinkIPv4, LinkIPv6:
		return d.ip(frame, seg, 0)
	case LinkSLL:
		if len(frame) < 16 {
			return SkipTruncated
		}
		return d.ethertype(binary.BigEndian.Uint16(frame[14:16]), frame[16:], seg, 0)
	case LinkSLL2:
		if len(frame) < 20 {
			return SkipTruncated
		}
		return d.ethertype(binary.BigEndian.Uint16(frame[0:2]), frame[20:], seg, 0)
	case LinkNull, LinkLoop:
		if len(frame) < 4 {
			return SkipTruncated
		}
		// The address family is in host order for NULL, network order for
		// LOOP; either way one of the two readings is a known family.
		fam := binary.LittleEndian.Uint32(frame)
		if lt == LinkLoop || fam > 0xffff {
			fam = binary.BigEndian.Uint32(frame)
		}
		switch fam {
		case 2: // AF_INET
			return d.ip(frame[4:], seg, 0)
		case 10, 24, 28, 30: // AF_INET6 on Linux, NetBSD/OpenBSD, FreeBSD, Darwin
			return d.ip(frame[4:], seg, 0)
		}
		return SkipNotIP
	case LinkPPP, LinkPPPSerial:
		return d.ppp(frame, seg, 0)
	case LinkPPPEther:
		return d.pppoe(frame, seg, 0)
	case LinkCHDLC:
		return d.chdlc(frame, seg)
	}
	return SkipLinkType
}

func (d *Decoder) ethernet(b []byte, seg *flow.Segment, depth int) SkipReason {
	if len(b) < 14 {
		return SkipTruncated
	}
	return d.ethertype(binary.BigEndian.Uint16(b[12:14]), b[14:], seg, depth)
}

func (d *Decoder) ethertype(et uint16, b []byte, seg *flow.Segment, depth int) SkipReason {
	for et == etherVLAN || et == etherQinQ || et == etherQinQ2 {
		if len(b) < 4 {
			return SkipTruncated
		}
		et = binary.BigEndian.Uint16(b[2:4])
		b = b[4:]
	}
	switch et {
	case etherIPv4, etherIPv6:
		return d.ip(b, seg, depth)
	case etherPPPoE:
		return d.pppoe(b, seg, depth)
	case etherMPLS, etherMPLSMulti:
		return d.mpls(b, seg, depth)
	}
	return SkipNotIP
}

// ip decodes an IPv4 or IPv6 packet by its version nibble.
func (d *Decoder) ip(b []byte, seg *flow.Segment, depth int) SkipReason {
	if len(b) < 1 {
		return SkipTruncated
	}
	switch b[0] >> 4 {
	case 4:
		return d.ipv4(b, seg, depth)
	case 6:
		return d.ipv6(b, seg, depth)
	}
	return SkipMalformed
}

func (d *Decoder) ipv4(b []byte, seg *flow.Segment, depth int) SkipReason {
	if len(b) < 20 {
		return SkipTruncated
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if total == 0 {
		// Captured on the sending host before TCP segmentation offload
		// filled in the length (as Wireshark presumes): the frame decides.
		total = len(b)
	}
	if ihl < 20 || total < ihl {
		return SkipMalformed
	}
	if len(b) < ihl {
		return SkipTruncated
	}
	if fo := binary.BigEndian.Uint16(b[6:8]); fo&0x3fff != 0 {
		if d.fragment != nil {
			*d.fragment = b[:min(total, len(b))]
		}
		return SkipFragment // more-fragments set or a non-zero offset
	}
	// Ethernet pads short frames: the IP length says where the packet ends.
	// A capture cut short (snaplen) keeps fewer bytes than the IP length.
	wire := total - ihl
	body := b[ihl:min(total, len(b))]
	seg.Src.Addr = [16]byte{10: 0xff, 11: 0xff, 12: b[12], 13: b[13], 14: b[14], 15: b[15]}
	seg.Dst.Addr = [16]byte{10: 0xff, 11: 0xff, 12: b[16], 13: b[17], 14: b[18], 15: b[19]}
	return d.transport(b[9], body, wire, seg, depth)
}

func (d *Decoder) ipv6(b []byte, seg *flow.Segment, depth int) SkipReason {
	if len(b) < 40 {
		return SkipTruncated
	}
	plen := int(binary.BigEndian.Uint16(b[4:6]))
	if plen == 0 {
		plen = len(b) - 40 // offloaded segmentation (jumbograms are not sent to TLS ports)
	}
	next := b[6]
	copy(seg.Src.Addr[:], b[8:24])
	copy(seg.Dst.Addr[:], b[24:40])
	body := b[40:min(40+plen, len(b))]
	wire := plen
	// Walk extension headers up to the transport header.
	for {
		switch next {
		case 0, 43, 60, 135, 139, 140: // hop-by-hop, routing, destination options, mobility, HIP, shim6
			if len(body) < 8 {
				return SkipTruncated
			}
			n := 8 + int(body[1])*8
			if len(body) < n || wire < n {
				return SkipTruncated
			}
			next, body, wire = body[0], body[n:], wire-n
		case 51: // authentication header: length in 4-byte units, minus 2
			if len(body) < 8 {
				return SkipTruncated
			}
			n := (int(body[1]) + 2) * 4
			if len(body) < n || wire < n {
				return SkipTruncated
			}
			next, body, wire = body[0], body[n:], wire-n
		case 44: // fragment
			if len(body) < 8 {
				return SkipTruncated
			}
			if off := binary.BigEndian.Uint16(body[2:4]); off&0xfff9 != 0 {
				if d.fragment != nil {
					*d.fragment = b[:min(40+plen, len(b))]
				}
				return SkipFragment // a real fragment (offset or more-fragments)
			}
			next, body, wire = body[0], body[8:], wire-8 // atomic fragment: whole packet
		default:
			return d.transport(next, body, wire, seg, depth)
		}
	}
}

// transport decodes TCP, or opens a tunnel. wire is the transport length
// the IP header announces; len(b) may be smaller when the capture was cut.
func (d *Decoder) transport(proto byte, b []byte, wire int, seg *flow.Segment, depth int) SkipReason {
	switch proto {
	case protoTCP:
		return tcp(b, wire, seg)
	case protoIPIP, protoIPv6:
		if depth >= maxEncapsulation {
			return SkipTunnelDepth
		}
		return d.ip(b, seg, depth+1)
	case protoGRE:
		if depth >= maxEncapsulation {
			return SkipTunnelDepth
		}
		return d.gre(b, seg, depth+1)
	case protoUDP:
		return d.udp(b, wire, seg, depth)
	}
	return SkipNotTCP
}

func tcp(b []byte, wire int, seg *flow.Segment) SkipReason {
	if len(b) < 20 {
		return SkipTruncated
	}
	off := int(b[12]>>4) * 4
	if off < 20 || wire < off {
		return SkipMalformed
	}
	if len(b) < off {
		return SkipTruncated
	}
	seg.Transport = flow.TransportTCP
	seg.Src.Port = binary.BigEndian.Uint16(b[0:2])
	seg.Dst.Port = binary.BigEndian.Uint16(b[2:4])
	seg.Seq = binary.BigEndian.Uint32(b[4:8])
	seg.Ack = binary.BigEndian.Uint32(b[8:12])
	seg.Flags = b[13] & 0x3f
	seg.Signed = off > 20 && signed(b[20:off])
	seg.Payload = b[off:min(wire, len(b))]
	seg.PayloadLen = wire - off
	return SkipNone
}

// TCP options (RFC 9293 3.1) that sign a segment: a connection uses one
// from its SYN on, with a key set out of band, and a TCP without a key
// for the connection drops segments that carry one (Linux counts them as
// TCPMD5Unexpected), which DPI-evasion tools use (zapret's md5sig).
const (
	tcpOptEnd = 0
	tcpOptNOP = 1
	tcpOptMD5 = 19 // RFC 2385
	tcpOptAO  = 29 // RFC 5925
)

// signed reports whether TCP options opts hold a signature option. A
// malformed option list ends the walk.
func signed(opts []byte) bool {
	for len(opts) > 0 {
		switch kind := opts[0]; kind {
		case tcpOptEnd:
			return false
		case tcpOptNOP:
			opts = opts[1:]
			continue
		case tcpOptMD5, tcpOptAO:
			return true
		}
		if len(opts) < 2 || opts[1] < 2 || int(opts[1]) > len(opts) {
			return false
		}
		opts = opts[opts[1]:]
	}
	return false
}
