package capture

import "encoding/binary"

// Red Hat Linux 6.1's tcpdump (1999) and SuSE 6.3's wrote pcap files whose
// packet record headers carry, after the standard 16 bytes, the
// interface index, the protocol and the packet type of Linux's packet
// socket. One of these layouts kept the standard magic number, and the
// modified magic number has two layouts. A file says which only in its
// records: read with the wrong header length, the second record's header
// lands inside the first packet and makes no sense. So, as Wireshark and
// libpcap's readers do, the first records are read with each candidate
// length, the first that makes sense of them all is taken, and failing
// that the one that made most sense.

// Packet record header lengths of the pcap variants.
const (
	standardHdrLen = 16
	// ss990417HdrLen (standard magic) and the modified magic's first
	// layout: interface index (4), protocol (2), packet type (1), pad (1).
	ss990417HdrLen = 24
	// ss990915HdrLen (modified magic): the same, then two CPU bytes and
	// three of padding.
	ss990915HdrLen = 28
)

// variantRecords is how many records a candidate layout is tried on: a
// pipe's reader waits for that many packets (or the end of input) before
// its first.
const variantRecords = 3

// maxWireLen is the largest wire length a sensible record claims.
const maxWireLen = 128 << 20

// chooseHdrLen sets p.hdrLen to the candidate that makes most sense of
// the first records (the first of equals). A read error met meanwhile is
// left for the packet that meets it.
func (p *pcapReader) chooseHdrLen(candidates ...int) {
	best, bestFaults := candidates[0], -1
	for _, n := range candidates {
		faults := p.recordFaults(n)
		if faults == 0 {
			p.hdrLen = n
			return
		}
		if bestFaults < 0 || faults < bestFaults {
			best, bestFaults = n, faults
		}
	}
	p.hdrLen = best
}

// recordFaults counts what makes no sense in the first variantRecords
// records read with headers of hdrLen bytes: a fraction of a second
// beyond a second, a captured length over the largest accepted or the
// wire length, a wire length no packet has, an extended header's fields
// out of their ranges, a record the input ends inside. It only peeks, as
// far as the read buffer holds.
func (p *pcapReader) recordFaults(hdrLen int) int {
	faults, off := 0, 0
	fracLimit := uint32(1e6)
	if p.nanos {
		fracLimit = 1e9
	}
	for range variantRecords {
		if off+hdrLen > p.r.Size() {
			return faults
		}
		h, _ := p.r.Peek(off + hdrLen)
		if len(h) < off+hdrLen {
			if len(h) > off {
				faults++ // the input ends inside a record header
			}
			return faults
		}
		h = h[off:]
		caplen, wire := p.order.Uint32(h[8:12]), p.order.Uint32(h[12:16])
		if p.order.Uint32(h[4:8]) >= fracLimit {
			faults++
		}
		if caplen > wire {
			faults++
		}
		if wire > maxWireLen {
			faults++
		}
		if hdrLen > standardHdrLen {
			faults += extendedHeaderFaults(p.order, h[16:hdrLen])
		}
		if int(caplen) > p.maxCap {
			return faults + 1 // no sense in reading on
		}
		next := off + hdrLen + int(caplen)
		if next > p.r.Size() {
			return faults
		}
		if b, _ := p.r.Peek(next); len(b) < next {
			return faults + 1 // the input ends inside the packet
		}
		off = next
	}
	return faults
}

// extendedHeaderFaults counts the fields of a modified record header's
// extension (interface index, protocol, packet type) out of what Linux
// wrote: an index beyond 10000, a protocol neither an EtherType nor one
// of Linux's internal ETH_P_ values, a packet type beyond PACKET_OUTGOING.
func extendedHeaderFaults(order binary.ByteOrder, ext []byte) int {
	faults := 0
	if order.Uint32(ext[0:4]) > 10000 {
		faults++
	}
	switch proto := order.Uint16(ext[4:6]); {
	case proto >= 0x0600, proto <= 0x0017, proto == 0x0060, proto == 0x0200, proto == 0x0400:
	default:
		faults++
	}
	if ext[6] > 4 {
		faults++
	}
	return faults
}
