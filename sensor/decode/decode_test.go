package decode

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/capgen"
)

// ipv4TCP returns a real IPv4 (or IPv6) TCP packet with payload "hello".
func ipv4TCP(t testing.TB, v6 bool) []byte {
	t.Helper()
	client, server := netip.MustParseAddrPort("10.1.2.3:40000"), netip.MustParseAddrPort("10.9.8.7:443")
	if v6 {
		client, server = netip.MustParseAddrPort("[2001:db8::3]:40000"), netip.MustParseAddrPort("[2001:db8::7]:443")
	}
	pkt, err := capgen.IPPacket(client, server, []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	return pkt
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

func TestDecodeLinkTypesAndTunnels(t *testing.T) {
	ip4 := ipv4TCP(t, false)
	ip6 := ipv4TCP(t, true)
	eth := func(et uint16, p []byte) []byte { return cat(make([]byte, 12), be16(et), p) }
	udp := func(dport uint16, p []byte) []byte {
		return cat(be16(1234), be16(dport), be16(uint16(8+len(p))), be16(0), p)
	}
	outer4 := func(proto byte, p []byte) []byte {
		h := []byte{0x45, 0, 0, 0, 0, 0, 0, 0, 64, proto, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2}
		binary.BigEndian.PutUint16(h[2:], uint16(20+len(p)))
		return cat(h, p)
	}
	cases := []struct {
		name  string
		link  uint32
		frame []byte
		v6    bool
	}{
		{"ethernet", LinkEthernet, eth(0x0800, ip4), false},
		{"ethernet ipv6", LinkEthernet, eth(0x86dd, ip6), true},
		{"802.1Q", LinkEthernet, eth(0x8100, cat([]byte{0, 5}, be16(0x0800), ip4)), false},
		{"QinQ", LinkEthernet, eth(0x88a8, cat([]byte{0, 5}, be16(0x8100), []byte{0, 6}, be16(0x0800), ip4)), false},
		{"raw", LinkRaw, ip4, false},
		{"ipv4 link", LinkIPv4, ip4, false},
		{"ipv6 link", LinkIPv6, ip6, true},
		{"sll", LinkSLL, cat(make([]byte, 14), be16(0x0800), ip4), false},
		{"sll2", LinkSLL2, cat(be16(0x86dd), make([]byte, 18), ip6), true},
		{"null little-endian AF_INET", LinkNull, cat([]byte{2, 0, 0, 0}, ip4), false},
		{"loop AF_INET6 (darwin)", LinkLoop, cat([]byte{0, 0, 0, 30}, ip6), true},
		{"ipv6 hop-by-hop", LinkIPv6, hopByHop(ip6), true},
		{"GRE ipv4", LinkEthernet, eth(0x0800, outer4(47, cat([]byte{0, 0}, be16(0x0800), ip4))), false},
		{"GRE key+seq", LinkEthernet, eth(0x0800, outer4(47, cat([]byte{0x30, 0}, be16(0x0800), make([]byte, 8), ip4))), false},
		{"ERSPAN II", LinkEthernet, eth(0x0800, outer4(47, cat([]byte{0x10, 0}, be16(0x88be), make([]byte, 4), make([]byte, 8), eth(0x0800, ip4)))), false},
		{"ERSPAN III", LinkEthernet, eth(0x0800, outer4(47, cat([]byte{0x10, 0}, be16(0x22eb), make([]byte, 4), make([]byte, 12), eth(0x0800, ip4)))), false},
		{"VXLAN", LinkEthernet, eth(0x0800, outer4(17, udp(4789, cat([]byte{0x08, 0, 0, 0, 0, 0, 1, 0}, eth(0x0800, ip4))))), false},
		{"Geneve", LinkEthernet, eth(0x0800, outer4(17, udp(6081, cat([]byte{0, 0}, be16(0x6558), make([]byte, 4), eth(0x86dd, ip6))))), true},
		{"IP in IP", LinkRaw, outer4(4, ip4), false},
		{"6in4 (IP protocol 41)", LinkEthernet, eth(0x0800, outer4(41, ip6)), true},
		{"GTP-U", LinkEthernet, eth(0x0800, outer4(17, udp(2152, gtpu(0x30, nil, ip4)))), false},
		{"GTP-U sequence and PDU session container", LinkEthernet, eth(0x0800, outer4(17, udp(2152, gtpu(0x36, []byte{0, 7, 0, 0x85, 1, 0x10, 9, 0}, ip6)))), true},
		{"CAPWAP 802.3", LinkEthernet, eth(0x0800, outer4(17, udp(5247, cat([]byte{0, 0x10, 0, 0}, make([]byte, 4), eth(0x0800, ip4))))), false},
		{"PPPoE session", LinkEthernet, eth(0x8864, pppoe(cat(be16(0x0021), ip4))), false},
		{"PPPoE session ipv6, Ethernet padding", LinkEthernet, cat(eth(0x8864, pppoe(cat(be16(0x0057), ip6))), make([]byte, 9)), true},
		{"802.1Q then PPPoE", LinkEthernet, eth(0x8100, cat([]byte{0, 7}, be16(0x8864), pppoe(cat(be16(0x0021), ip4)))), false},
		{"MPLS one label", LinkEthernet, eth(0x8847, cat(mplsEntry(16, true), ip4)), false},
		{"MPLS three labels, ipv6", LinkEthernet, eth(0x8847, cat(mplsEntry(16, false), mplsEntry(17, false), mplsEntry(2, true), ip6)), true},
		{"MPLS multicast", LinkEthernet, eth(0x8848, cat(mplsEntry(99, true), ip4)), false},
		{"MPLS Ethernet pseudowire with control word", LinkEthernet, eth(0x8847, cat(mplsEntry(20, false), mplsEntry(30, true), make([]byte, 4), eth(0x0800, ip4))), false},
		{"MPLS in GRE", LinkEthernet, eth(0x0800, outer4(47, cat([]byte{0, 0}, be16(0x8847), mplsEntry(5, true), ip4))), false},
		{"PPTP (GRE v1): sequence, acknowledgement, PPP address and control", LinkEthernet, eth(0x0800, outer4(47, pptp(0x3081, make([]byte, 8), cat([]byte{0xff, 0x03}, be16(0x0021), ip4)))), false},
		{"PPTP: sequence, PPP protocol compressed", LinkEthernet, eth(0x0800, outer4(47, pptp(0x3001, make([]byte, 4), cat([]byte{0x21}, ip4)))), false},
		{"PPTP: key alone, PPP without address and control, ipv6", LinkRaw, outer4(47, pptp(0x2001, nil, cat(be16(0x0057), ip6))), true},
		{"PPTP: bytes past the payload length", LinkRaw, outer4(47, cat(pptp(0x2081, make([]byte, 4), cat([]byte{0xff, 0x03, 0x21}, ip4)), []byte{0xde, 0xad})), false},
		{"PPP with address and control", LinkPPP, cat([]byte{0xff, 0x03}, be16(0x0021), ip4), false},
		{"PPP without them, compressed protocol", LinkPPP, cat([]byte{0x21}, ip4), false},
		{"PPP in HDLC-like framing, ipv6", LinkPPPSerial, cat([]byte{0xff, 0x03}, be16(0x0057), ip6), true},
		{"PPPoE without Ethernet", LinkPPPEther, pppoe(cat(be16(0x0021), ip4)), false},
		{"Cisco HDLC", LinkCHDLC, cat([]byte{0x0f, 0}, be16(0x0800), ip4), false},
		{"Cisco HDLC, MPLS", LinkCHDLC, cat([]byte{0x0f, 0}, be16(0x8847), mplsEntry(16, true), ip6), true},
	}
	d := NewDecoder()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s flow.Segment
			if why := d.Decode(tc.link, tc.frame, &s); why != SkipNone {
				t.Fatalf("skipped: %v", why)
			}
			wantSrc := "10.1.2.3:40000"
			if tc.v6 {
				wantSrc = "[2001:db8::3]:40000"
			}
			if got := s.Src.AddrPort().String(); got != wantSrc || string(s.Payload) != "hello" || s.PayloadLen != 5 {
				t.Errorf("src %s payload %q (%d), want %s hello", got, s.Payload, s.PayloadLen, wantSrc)
			}
		})
	}
}

// pptp frames a PPP frame in PPTP's enhanced GRE (RFC 2637 4.1, GRE
// version 1): flags (with the version), protocol 0x880b, the key
// (payload length, call id 7), then opt (the sequence and acknowledgement
// numbers the flags announce).
func pptp(flags uint16, opt, ppp []byte) []byte {
	return cat(be16(flags), be16(0x880b), be16(uint16(len(ppp))), be16(7), opt, ppp)
}

// pppoe frames a PPP packet (protocol field and data) as a PPPoE session
// packet (RFC 2516), session 0x1234.
func pppoe(ppp []byte) []byte {
	return cat([]byte{0x11, 0, 0x12, 0x34}, be16(uint16(len(ppp))), ppp)
}

// mplsEntry is one MPLS label stack entry (RFC 3032), TTL 64.
func mplsEntry(label uint32, bottom bool) []byte {
	e := label<<12 | 64
	if bottom {
		e |= 1 << 8
	}
	return binary.BigEndian.AppendUint32(nil, e)
}

// gtpu frames a user packet as a GTP-U G-PDU with the given flags; opt
// (sequence, N-PDU, next type, then extension headers) when E, S or PN is
// set.
func gtpu(flags byte, opt, pkt []byte) []byte {
	return cat([]byte{flags, 0xff}, be16(uint16(len(opt)+len(pkt))), []byte{0, 0, 0, 1}, opt, pkt)
}

func hopByHop(ip6 []byte) []byte {
	out := cat(ip6[:40], []byte{ip6[6], 0, 1, 4, 0, 0, 0, 0}, ip6[40:])
	out[6] = 0
	binary.BigEndian.PutUint16(out[4:], binary.BigEndian.Uint16(ip6[4:])+8)
	return out
}

func TestDecodeSkips(t *testing.T) {
	ip4 := ipv4TCP(t, false)
	frag := append([]byte(nil), ip4...)
	frag[6] = 0x20 // more fragments
	udp := append([]byte(nil), ip4...)
	udp[9] = 17
	short := ip4[:30]
	badIHL := append([]byte(nil), ip4...)
	badIHL[0] = 0x43
	cases := []struct {
		name  string
		link  uint32
		frame []byte
		want  SkipReason
	}{
		{"unknown link type", 147, ip4, SkipLinkType},
		{"ARP", LinkEthernet, cat(make([]byte, 12), be16(0x0806), make([]byte, 28)), SkipNotIP},
		{"fragment", LinkRaw, frag, SkipFragment},
		{"udp to an unwatched port", LinkRaw, udp, SkipNotTCP},
		{"truncated tcp header", LinkRaw, short, SkipTruncated},
		{"bad ihl", LinkRaw, badIHL, SkipMalformed},
		{"empty", LinkEthernet, nil, SkipTruncated},
		{"GTP-U echo request", LinkRaw, gtpOuter(cat([]byte{0x32, 1}, be16(4), []byte{0, 0, 0, 0, 0, 1, 0, 0})), SkipNotIP},
		{"GTP' (no GTP-U)", LinkRaw, gtpOuter(gtpu(0x20, nil, ip4)), SkipMalformed},
		{"GTP-U extension of length 0", LinkRaw, gtpOuter(gtpu(0x34, []byte{0, 0, 0, 0x85, 0, 0, 0, 0}, ip4)), SkipMalformed},
		{"GTP-U extension past the packet", LinkRaw, gtpOuter(gtpu(0x34, []byte{0, 0, 0, 0x85, 9}, nil)), SkipTruncated},
		{"PPPoE discovery (PADI)", LinkEthernet, cat(make([]byte, 12), be16(0x8863), []byte{0x11, 0x09, 0, 0, 0, 4, 1, 1, 0, 0}), SkipNotIP},
		{"PPPoE session, LCP", LinkEthernet, cat(make([]byte, 12), be16(0x8864), pppoe(cat(be16(0xc021), make([]byte, 8)))), SkipNotIP},
		{"PPPoE of version 2", LinkEthernet, cat(make([]byte, 12), be16(0x8864), []byte{0x21}, pppoe(cat(be16(0x0021), ip4))[1:]), SkipMalformed},
		{"PPPoE cut in its header", LinkEthernet, cat(make([]byte, 12), be16(0x8864), []byte{0x11, 0, 0x12}), SkipTruncated},
		{"PPP, compressed (CCP data)", LinkPPP, cat([]byte{0xff, 0x03}, be16(0x00fd), make([]byte, 20)), SkipNotIP},
		{"MPLS stack without a bottom", LinkEthernet, cat(make([]byte, 12), be16(0x8847), mplsEntry(16, false), mplsEntry(17, false)), SkipTruncated},
		{"MPLS stack of 17 labels", LinkEthernet, cat(make([]byte, 12), be16(0x8847), bytes.Repeat(mplsEntry(16, false), 17), ip4), SkipMalformed},
		{"MPLS pseudowire without a control word", LinkEthernet, cat(make([]byte, 12), be16(0x8847), mplsEntry(16, true), []byte{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}, make([]byte, 6), be16(0x0800), ip4), SkipNotIP},
		{"Cisco HDLC keepalive (SLARP)", LinkCHDLC, cat([]byte{0x8f, 0}, be16(0x8035), make([]byte, 20)), SkipNotIP},
		{"PPTP, MPPE (compressed or encrypted PPP)", LinkRaw, greOuter(pptp(0x3001, make([]byte, 4), cat([]byte{0xff, 0x03}, be16(0x00fd), make([]byte, 40)))), SkipNotIP},
		{"PPTP, CCP", LinkRaw, greOuter(pptp(0x3001, make([]byte, 4), cat([]byte{0xff, 0x03}, be16(0x80fd), make([]byte, 8)))), SkipNotIP},
		{"PPTP, LCP", LinkRaw, greOuter(pptp(0x3001, make([]byte, 4), cat([]byte{0xff, 0x03}, be16(0xc021), make([]byte, 8)))), SkipNotIP},
		{"PPTP acknowledgement alone", LinkRaw, greOuter(pptp(0x2081, make([]byte, 4), nil)), SkipNotIP},
		{"PPTP cut in its sequence number", LinkRaw, greOuter(pptp(0x3081, make([]byte, 2), nil)), SkipTruncated},
		{"GRE v1 without its key", LinkRaw, greOuter(cat(be16(0x1001), be16(0x880b), make([]byte, 4), []byte{0x21}, ip4)), SkipMalformed},
		{"GRE v1 with a checksum", LinkRaw, greOuter(pptp(0xa001, make([]byte, 4), cat([]byte{0x21}, ip4))), SkipMalformed},
		{"GRE v1 of IPv4 (not PPP)", LinkRaw, greOuter(cat(be16(0x2001), be16(0x0800), make([]byte, 4), ip4)), SkipMalformed},
		{"GRE version 2", LinkRaw, greOuter(cat(be16(0x0002), be16(0x0800), ip4)), SkipMalformed},
	}
	d := NewDecoder()
	d.UDPPorts = NewPortSet([]uint16{8443})
	for _, tc := range cases {
		var s flow.Segment
		if got := d.Decode(tc.link, tc.frame, &s); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// greOuter wraps a GRE packet in IPv4.
func greOuter(p []byte) []byte {
	h := []byte{0x45, 0, 0, 0, 0, 0, 0, 0, 64, 47, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2}
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(p)))
	return cat(h, p)
}

// gtpOuter wraps a GTP-U payload in IPv4 and UDP to port 2152.
func gtpOuter(p []byte) []byte {
	u := cat(be16(2152), be16(2152), be16(uint16(8+len(p))), be16(0), p)
	h := []byte{0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2}
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(u)))
	return cat(h, u)
}

func FuzzDecode(f *testing.F) {
	ip4 := ipv4TCP(f, false)
	f.Add(LinkRaw, ip4)
	f.Add(LinkEthernet, cat(make([]byte, 12), be16(0x86dd), ipv4TCP(f, true)))
	f.Add(LinkEthernet, cat(make([]byte, 12), be16(0x0800), []byte{0x45, 0, 0, 60, 0, 0, 0, 0, 64, 47, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0x10, 0, 0x88, 0xbe}, make([]byte, 12), ip4))
	f.Add(LinkSLL2, cat(be16(0x0800), make([]byte, 18), ip4))
	f.Add(LinkNull, cat([]byte{2, 0, 0, 0}, ip4))
	f.Add(LinkRaw, ipv4UDP(50000, 443, []byte{0xc0, 0, 0, 0, 1, 0, 0}, 0))
	f.Add(LinkRaw, gtpOuter(gtpu(0x36, []byte{0, 7, 0, 0x85, 1, 0x10, 9, 0}, ip4)))
	f.Add(LinkEthernet, cat(make([]byte, 12), be16(0x8864), pppoe(cat(be16(0x0021), ip4))))
	f.Add(LinkEthernet, cat(make([]byte, 12), be16(0x8847), mplsEntry(20, false), mplsEntry(30, true), make([]byte, 4), make([]byte, 12), be16(0x0800), ip4))
	f.Add(LinkPPP, cat([]byte{0x21}, ip4))
	f.Add(LinkCHDLC, cat([]byte{0x0f, 0}, be16(0x0800), ip4))
	f.Add(LinkRaw, greOuter(pptp(0x3081, make([]byte, 8), cat([]byte{0xff, 0x03}, be16(0x0021), ip4))))
	f.Add(LinkRaw, greOuter(pptp(0x3001, make([]byte, 4), cat([]byte{0x21}, ip4))))
	d := NewDecoder()
	f.Fuzz(func(t *testing.T, link uint32, frame []byte) {
		var s flow.Segment
		why := d.Decode(link, frame, &s)
		if why == SkipNone {
			if len(s.Payload) > s.PayloadLen || s.PayloadLen < 0 || len(s.Payload) > len(frame) {
				t.Fatalf("payload %d bytes, announced %d, frame %d", len(s.Payload), s.PayloadLen, len(frame))
			}
		}
		// Fragment hands the fragment of exactly the frames Decode skips
		// as one: an IP packet inside the frame.
		pkt, ok := d.Fragment(link, frame)
		if ok != (why == SkipFragment) || ok && (len(pkt) == 0 || pkt[0]>>4 != 4 && pkt[0]>>4 != 6 || len(pkt) > len(frame)) {
			t.Fatalf("Decode %v, Fragment %v (%d bytes of %d)", why, ok, len(pkt), len(frame))
		}
	})
}

// TestFragment: Fragment hands the IP packet of a fragment, inside a
// tunnel too, and nothing for a whole packet.
func TestFragment(t *testing.T) {
	ip4 := ipv4TCP(t, false)
	frag := bytes.Clone(ip4[:binary.BigEndian.Uint16(ip4[2:4])]) // without the Ethernet padding
	frag[6] = 0x20                                               // more fragments
	eth := cat(make([]byte, 12), be16(0x0800))
	gre := []byte{0x45, 0, 0, 0, 0, 0, 0, 0, 64, 47, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2}
	binary.BigEndian.PutUint16(gre[2:], uint16(20+4+len(frag)))
	d := NewDecoder()
	for name, c := range map[string]struct {
		frame []byte
		want  []byte
	}{
		"fragment":               {cat(eth, frag), frag},
		"fragment inside GRE":    {cat(eth, gre, []byte{0, 0}, be16(0x0800), frag), frag},
		"whole packet":           {cat(eth, ip4), nil},
		"fragment, frame padded": {cat(eth, frag, make([]byte, 6)), frag},
		"fragment inside PPTP":   {cat(eth, greOuter(pptp(0x3001, make([]byte, 4), cat([]byte{0xff, 0x03, 0x21}, frag)))), frag},
	} {
		pkt, ok := d.Fragment(LinkEthernet, c.frame)
		if ok != (c.want != nil) || !bytes.Equal(pkt, c.want) {
			t.Errorf("%s: %v, %d bytes, want %d", name, ok, len(pkt), len(c.want))
		}
	}
}

// A frame cut by the capture's snap length keeps its payload's announced
// length; Count counts it as cut, and a whole frame as not.
func TestCountCut(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		pkt := ipv4TCP(t, v6)
		var st Stats
		d := NewDecoder()
		var seg flow.Segment
		if why := d.Decode(LinkRaw, pkt, &seg); why != SkipNone {
			t.Fatalf("whole packet (v6 %v): %v", v6, why)
		}
		st.Count(&seg)
		if why := d.Decode(LinkRaw, pkt[:len(pkt)-2], &seg); why != SkipNone {
			t.Fatalf("cut packet (v6 %v): %v", v6, why)
		}
		if string(seg.Payload) != "hel" || seg.PayloadLen != 5 {
			t.Fatalf("cut packet (v6 %v): payload %q of %d, want \"hel\" of 5", v6, seg.Payload, seg.PayloadLen)
		}
		st.Count(&seg)
		if st.Decoded != 2 || st.Cut != 1 {
			t.Errorf("v6 %v: decoded %d cut %d, want 2 and 1", v6, st.Decoded, st.Cut)
		}
		var sum Stats
		sum.Add(&st)
		sum.Add(&st)
		if sum.Cut != 2 {
			t.Errorf("v6 %v: Add summed cut to %d, want 2", v6, sum.Cut)
		}
	}
}
