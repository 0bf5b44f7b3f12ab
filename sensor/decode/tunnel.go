package decode

import (
	"encoding/binary"
	"slices"

	"github.com/tlsentry/tlsentry/flow"
)

// GRE header bits (RFC 2784, 2890; version 1: RFC 2637).
const (
	greChecksum = 0x8000
	greRouting  = 0x4000
	greKey      = 0x2000
	greSeq      = 0x1000
	greStrict   = 0x0800 // strict source route (RFC 1701)
	greRecur    = 0x0700 // recursion control (RFC 1701)
	greAck      = 0x0080 // acknowledgement number present (version 1)
	greFlagsV1  = 0x0078 // must be zero in version 1
	greVersion  = 0x0007
	etherPPP    = 0x880b // PPP, PPTP's only payload
)

// gre opens a GRE packet (RFC 2784/2890): IPv4, IPv6, bridged Ethernet,
// and ERSPAN types I, II and III; or, in GRE version 1, PPTP's PPP
// frames.
func (d *Decoder) gre(b []byte, seg *flow.Segment, depth int) SkipReason {
	if len(b) < 4 {
		return SkipTruncated
	}
	flags := binary.BigEndian.Uint16(b[0:2])
	proto := binary.BigEndian.Uint16(b[2:4])
	switch flags & greVersion {
	case 0:
	case 1:
		return d.pptp(b, flags, proto, seg, depth)
	default:
		return SkipMalformed // versions 2 to 7 are not defined
	}
	n := 4
	if flags&greChecksum != 0 { // checksum present (with reserved word)
		n += 4
	}
	if flags&greKey != 0 {
		n += 4
	}
	hasSeq := flags&greSeq != 0
	if hasSeq {
		n += 4
	}
	if len(b) < n {
		return SkipTruncated
	}
	b = b[n:]
	switch proto {
	case etherIPv4, etherIPv6:
		return d.ip(b, seg, depth)
	case etherTEB:
		return d.ethernet(b, seg, depth)
	case etherMPLS, etherMPLSMulti: // MPLS in GRE (RFC 4023)
		return d.mpls(b, seg, depth)
	case etherERSPAN2:
		if !hasSeq {
			return d.ethernet(b, seg, depth) // type I: no ERSPAN header
		}
		if len(b) < 8 {
			return SkipTruncated
		}
		return d.ethernet(b[8:], seg, depth)
	case etherERSPAN3:
		if len(b) < 12 {
			return SkipTruncated
		}
		h := 12
		if b[11]&0x01 != 0 { // O flag: an 8-byte platform-specific subheader follows
			h += 8
		}
		if len(b) < h {
			return SkipTruncated
		}
		return d.ethernet(b[h:], seg, depth)
	}
	return SkipNotIP
}

// pptp opens the enhanced GRE (version 1) of PPTP (RFC 2637 4.1): the
// key is always there (payload length, call id), then the optional
// sequence and acknowledgement numbers, then a PPP frame of the payload
// length (none in a bare acknowledgement). A VPN's user traffic: PPP with
// or without its address and control bytes, the protocol compressed or
// not. Compressed or encrypted PPP (CCP, MPPE: protocol 0x00fd) has no IP
// to read and is skipped as not IP, as on a PPP link; what the RFC rules
// out (checksum, routing, no key, another protocol) is malformed.
func (d *Decoder) pptp(b []byte, flags, proto uint16, seg *flow.Segment, depth int) SkipReason {
	if flags&(greChecksum|greRouting|greStrict|greRecur|greFlagsV1) != 0 || flags&greKey == 0 || proto != etherPPP {
		return SkipMalformed
	}
	n := 8 // the fixed header and the key
	if flags&greSeq != 0 {
		n += 4
	}
	if flags&greAck != 0 {
		n += 4
	}
	if len(b) < n {
		return SkipTruncated
	}
	plen := int(binary.BigEndian.Uint16(b[4:6]))
	if plen == 0 {
		return SkipNotIP // an acknowledgement alone
	}
	// The payload length bounds the frame; a capture may have cut it.
	return d.ppp(b[n:min(n+plen, len(b))], seg, depth)
}

// udp opens the UDP tunnels (VXLAN, Geneve, CAPWAP) and gives a datagram
// to or from a watched UDP port as a segment; other UDP is not for the
// sensor. wire is the UDP length the IP header announces.
func (d *Decoder) udp(b []byte, wire int, seg *flow.Segment, depth int) SkipReason {
	if len(b) < 8 {
		return SkipTruncated
	}
	sport, dport := binary.BigEndian.Uint16(b[0:2]), binary.BigEndian.Uint16(b[2:4])
	ulen := int(binary.BigEndian.Uint16(b[4:6]))
	hdr := b
	b = b[8:]
	switch {
	case slices.Contains(d.CAPWAPPorts, dport) || slices.Contains(d.CAPWAPPorts, sport):
		if depth >= maxEncapsulation {
			return SkipTunnelDepth
		}
		return d.capwap(b, seg, depth+1)
	case slices.Contains(d.VXLANPorts, dport) || slices.Contains(d.VXLANPorts, sport):
		if depth >= maxEncapsulation {
			return SkipTunnelDepth
		}
		if len(b) < 8 {
			return SkipTruncated
		}
		if b[0]&0x08 == 0 {
			return SkipMalformed // the VNI-valid flag must be set
		}
		return d.ethernet(b[8:], seg, depth+1)
	case slices.Contains(d.GTPUPorts, dport) || slices.Contains(d.GTPUPorts, sport):
		if depth >= maxEncapsulation {
			return SkipTunnelDepth
		}
		return d.gtpu(b, seg, depth+1)
	case slices.Contains(d.GenevePorts, dport) || slices.Contains(d.GenevePorts, sport):
		if depth >= maxEncapsulation {
			return SkipTunnelDepth
		}
		if len(b) < 8 {
			return SkipTruncated
		}
		if b[0]>>6 != 0 {
			return SkipMalformed // unknown Geneve version
		}
		h := 8 + int(b[0]&0x3f)*4
		if len(b) < h {
			return SkipTruncated
		}
		proto := binary.BigEndian.Uint16(b[2:4])
		if proto == etherTEB {
			return d.ethernet(b[h:], seg, depth+1)
		}
		return d.ethertype(proto, b[h:], seg, depth+1)
	case d.UDPPorts.Either(sport, dport):
		return datagram(hdr, ulen, wire, sport, dport, seg)
	}
	return SkipNotTCP
}

// datagram fills seg from a UDP datagram (header and what was captured of
// it). The UDP length says where the payload ends (it must fit in what
// the IP header announces); 0 is taken as "the rest of the IP payload"
// (IPv6 jumbograms, and some offloaded captures).
func datagram(b []byte, ulen, wire int, sport, dport uint16, seg *flow.Segment) SkipReason {
	switch {
	case ulen == 0:
		ulen = wire
	case ulen < 8 || ulen > wire:
		return SkipMalformed
	}
	seg.Transport = flow.TransportUDP
	seg.Src.Port, seg.Dst.Port = sport, dport
	seg.Seq, seg.Ack, seg.Flags, seg.Signed = 0, 0, 0, false
	seg.Payload = b[8:min(ulen, len(b))]
	seg.PayloadLen = ulen - 8
	return SkipNone
}

// capwap opens a CAPWAP data packet (RFC 5415): the bridged 802.3 frame,
// or the native 802.11 frame of a wireless access point.
func (d *Decoder) capwap(b []byte, seg *flow.Segment, depth int) SkipReason {
	if len(b) < 8 {
		return SkipTruncated
	}
	if b[0] != 0 {
		return SkipNotIP // version 0, type 0 only; type 1 is DTLS-encrypted
	}
	w := binary.BigEndian.Uint32(b[0:4])
	hlen := int(w>>19&0x1f) * 4
	native := w>>8&1 == 1
	if w>>7&1 == 1 {
		return SkipFragment
	}
	if hlen < 8 || len(b) < hlen {
		return SkipTruncated
	}
	b = b[hlen:]
	if !native {
		return d.ethernet(b, seg, depth)
	}
	if wbid := w >> 9 & 0x1f; wbid != 1 {
		return SkipNotIP // only the IEEE 802.11 binding is known
	}
	return d.ieee80211(b, seg, depth)
}

// ieee80211 opens an 802.11 data frame carrying LLC/SNAP. Some access
// points send the frame control field byte-swapped; both orders are tried.
func (d *Decoder) ieee80211(b []byte, seg *flow.Segment, depth int) SkipReason {
	if len(b) < 24 {
		return SkipTruncated
	}
	fc, flags := b[0], b[1]
	if fc>>2&3 != 2 && flags>>2&3 == 2 {
		fc, flags = flags, fc
	}
	if fc>>2&3 != 2 || fc&3 != 0 {
		return SkipNotIP // not a version-0 data frame
	}
	if flags&0x40 != 0 {
		return SkipNotIP // protected: encrypted payload
	}
	n := 24
	if flags&3 == 3 {
		n += 6 // four-address frame
	}
	if fc>>4&0x8 != 0 { // QoS data
		n += 2
		if flags&0x80 != 0 {
			n += 4 // HT control
		}
	}
	if fc>>4&0x4 != 0 {
		return SkipNotIP // null data: no payload
	}
	if len(b) < n+8 {
		return SkipTruncated
	}
	llc := b[n:]
	if llc[0] != 0xaa || llc[1] != 0xaa || llc[2] != 0x03 {
		return SkipNotIP
	}
	return d.ethertype(binary.BigEndian.Uint16(llc[6:8]), llc[8:], seg, depth)
}

// gtpu opens a GTP-U G-PDU (3GPP TS 29.281): version 1, the 8-byte header,
// the optional sequence/N-PDU/next-extension word, the extension headers
// (each a length in 4-byte units, its content, and the next type in its
// last byte), then the user's IPv4 or IPv6 packet.
func (d *Decoder) gtpu(b []byte, seg *flow.Segment, depth int) SkipReason {
	if len(b) < 8 {
		return SkipTruncated
	}
	if b[0]>>5 != 1 || b[0]&0x10 == 0 {
		return SkipMalformed // not GTPv1 (GTP' has the protocol type bit clear)
	}
	if b[1] != 0xff {
		return SkipNotIP // echo, error indication, end marker: no user packet
	}
	n := 8
	if b[0]&0x07 != 0 { // E, S or PN: the optional word is there
		if len(b) < 12 {
			return SkipTruncated
		}
		next := b[11]
		n = 12
		for next != 0 {
			if len(b) < n+1 {
				return SkipTruncated
			}
			l := int(b[n]) * 4
			if l == 0 {
				return SkipMalformed
			}
			if len(b) < n+l {
				return SkipTruncated
			}
			next = b[n+l-1]
			n += l
		}
	}
	return d.ip(b[n:], seg, depth)
}
