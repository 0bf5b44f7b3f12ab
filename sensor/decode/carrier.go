package decode

import (
	"encoding/binary"

	"github.com/tlsentry/tlsentry/flow"
)

// The links and shims of carrier and access networks: PPP (serial lines,
// PPPoE on DSL and fibre access), Cisco HDLC (router WAN ports) and MPLS
// label stacks (provider cores). A span port there delivers subscribers'
// traffic inside them, as Suricata and Zeek decode it.

// More link types (LINKTYPE_* values).
const (
	LinkPPP       uint32 = 9   // PPP, with or without the HDLC address and control bytes
	LinkPPPSerial uint32 = 50  // PPP in HDLC-like framing (RFC 1662)
	LinkPPPEther  uint32 = 51  // PPPoE session header, no Ethernet (BSD)
	LinkCHDLC     uint32 = 104 // Cisco HDLC: address, control, an ethertype
)

// Ethertypes of access and provider networks.
const (
	etherPPPoE        = 0x8864 // PPPoE session stage (discovery, 0x8863, carries no IP)
	etherMPLS         = 0x8847
	etherMPLSMulti    = 0x8848
	pppIPv4           = 0x0021
	pppIPv6           = 0x0057
	maxMPLSLabels     = 16   // a label stack deeper than this is skipped as malformed
	mplsBottomOfStack = 0x01 // the S bit, in an entry's third byte
)

// ppp decodes a PPP frame (RFC 1661): an optional HDLC address and
// control (0xff 0x03, RFC 1662), then the protocol, one byte when
// compressed (RFC 1661 6.5: odd), else two.
func (d *Decoder) ppp(b []byte, seg *flow.Segment, depth int) SkipReason {
	if len(b) >= 2 && b[0] == 0xff && b[1] == 0x03 {
		b = b[2:]
	}
	if len(b) < 1 {
		return SkipTruncated
	}
	proto, n := uint16(b[0]), 1
	if b[0]&1 == 0 {
		if len(b) < 2 {
			return SkipTruncated
		}
		proto, n = binary.BigEndian.Uint16(b), 2
	}
	switch proto {
	case pppIPv4, pppIPv6:
		return d.ip(b[n:], seg, depth)
	}
	return SkipNotIP // LCP, IPCP, CHAP... and compressed or encrypted data
}

// pppoe decodes a PPPoE session packet (RFC 2516): version and type
// (0x11), code 0, session id, length, then a PPP protocol field.
func (d *Decoder) pppoe(b []byte, seg *flow.Segment, depth int) SkipReason {
	if len(b) < 8 {
		return SkipTruncated
	}
	if b[0] != 0x11 || b[1] != 0 {
		return SkipMalformed
	}
	n := int(binary.BigEndian.Uint16(b[4:6]))
	if n < 2 {
		return SkipMalformed
	}
	// The payload length bounds the frame's (Ethernet pads short ones);
	// the IP length inside bounds it again.
	return d.ppp(b[6:min(6+n, len(b))], seg, depth)
}

// mpls decodes an MPLS label stack (RFC 3032) and what its bottom entry
// carries: IPv4 or IPv6 (by the version nibble: the stack does not say),
// or an Ethernet pseudowire behind its control word (RFC 4385: first
// nibble 0). A pseudowire without a control word cannot be told from IP
// by its bytes and is skipped, as Suricata does.
func (d *Decoder) mpls(b []byte, seg *flow.Segment, depth int) SkipReason {
	for i := 0; ; i++ {
		if i == maxMPLSLabels {
			return SkipMalformed
		}
		if len(b) < 4 {
			return SkipTruncated
		}
		bottom := b[2]&mplsBottomOfStack != 0
		b = b[4:]
		if bottom {
			break
		}
	}
	if len(b) < 1 {
		return SkipTruncated
	}
	switch b[0] >> 4 {
	case 4, 6:
		return d.ip(b, seg, depth)
	case 0:
		if depth >= maxEncapsulation {
			return SkipTunnelDepth
		}
		if len(b) < 4 {
			return SkipTruncated
		}
		return d.ethernet(b[4:], seg, depth+1)
	}
	return SkipNotIP
}

// chdlc decodes a Cisco HDLC frame: address (0x0f unicast, 0x8f
// broadcast), control 0, then an ethertype.
func (d *Decoder) chdlc(b []byte, seg *flow.Segment) SkipReason {
	if len(b) < 4 {
		return SkipTruncated
	}
	return d.ethertype(binary.BigEndian.Uint16(b[2:4]), b[4:], seg, 0)
}
