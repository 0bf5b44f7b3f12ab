package defrag

import "encoding/binary"

// IPv6 extension headers that may come before the fragment header (RFC
// 8200 4.1: hop-by-hop, destination options, routing).
const (
	hopByHop  = 0
	routing   = 43
	fragment6 = 44
	destOpts  = 60
)

// parse reads a fragment's key, place and payload off its IP packet; ok is
// false for a packet that is not a fragment or does not hold together.
func parse(pkt []byte) (f fragment, ok bool) {
	if len(pkt) < 1 {
		return f, false
	}
	switch pkt[0] >> 4 {
	case 4:
		return parse4(pkt)
	case 6:
		return parse6(pkt)
	}
	return f, false
}

func parse4(pkt []byte) (f fragment, ok bool) {
	if len(pkt) < 20 {
		return f, false
	}
	ihl := int(pkt[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(pkt[2:4]))
	if ihl < 20 || total < ihl || len(pkt) < total {
		return f, false // a fragment cut by the capture cannot be reassembled
	}
	fo := binary.BigEndian.Uint16(pkt[6:8])
	f.off, f.more = int(fo&0x1fff)*8, fo&0x2000 != 0
	if !f.more && f.off == 0 {
		return f, false
	}
	f.key = key{id: uint32(binary.BigEndian.Uint16(pkt[4:6])), proto: pkt[9]}
	copy(f.key.src[12:], pkt[12:16])
	copy(f.key.dst[12:], pkt[16:20])
	f.key.src[10], f.key.src[11], f.key.dst[10], f.key.dst[11] = 0xff, 0xff, 0xff, 0xff
	f.header, f.payload = pkt[:ihl], pkt[ihl:total]
	return f, true
}

func parse6(pkt []byte) (f fragment, ok bool) {
	if len(pkt) < 40 {
		return f, false
	}
	end := 40 + int(binary.BigEndian.Uint16(pkt[4:6]))
	if len(pkt) < end {
		return f, false
	}
	next, at, nextAt := pkt[6], 40, 6
	for next != fragment6 {
		switch next {
		case hopByHop, routing, destOpts:
		default:
			return f, false // no fragment header before the payload
		}
		if end < at+8 {
			return f, false
		}
		n := 8 + int(pkt[at+1])*8
		if end < at+n {
			return f, false
		}
		next, nextAt, at = pkt[at], at, at+n
	}
	if end < at+8 {
		return f, false
	}
	fo := binary.BigEndian.Uint16(pkt[at+2 : at+4])
	f.off, f.more = int(fo>>3)*8, fo&1 != 0
	if !f.more && f.off == 0 {
		return f, false // an atomic fragment (RFC 6946) is a whole packet
	}
	f.key = key{id: binary.BigEndian.Uint32(pkt[at+4 : at+8]), v6: true}
	copy(f.key.src[:], pkt[8:24])
	copy(f.key.dst[:], pkt[24:40])
	f.header, f.next, f.nextAt, f.payload = pkt[:at], pkt[at], nextAt, pkt[at+8:end]
	return f, true
}
