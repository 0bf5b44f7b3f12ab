package capture

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
)

// pcapReader reads classic pcap files. Unlike pcapgo's reader it hands out
// packet data straight from its read buffer (no copy per packet) and
// keeps timestamps as integers: the read loop is a third of the sensor's
// offline time.
type pcapReader struct {
	r      *bufio.Reader
	order  binary.ByteOrder
	nanos  bool // nanosecond timestamps (magic a1b23c4d)
	hdrLen int  // of a packet record header: 16, or 24 or 28 in the variants of pcapvariant.go
	// lenSwap: the file's version put the wire length before the captured
	// length (before 2.3, and some 2.3 writers: lengthsMaybeSwapped).
	lenSwap  lengthOrder
	linkType uint32
	maxCap   int
	pending  int   // bytes of the previous packet to discard before the next
	off      int64 // file offset of the next record
}

// Classic pcap magic numbers, as the file's writer stored them in its
// own byte order.
const (
	magicPcap      = 0xa1b2c3d4 // microsecond timestamps
	magicPcapNanos = 0xa1b23c4d // nanosecond timestamps
	// magicPcapModified is Alexey Kuznetsov's modified pcap (libpcap's
	// KUZNETZOV_TCPDUMP_MAGIC, written by Red Hat's tcpdump of 1999 and by
	// editcap -F modpcap): microsecond timestamps, and each packet record
	// header followed by the interface index (4 bytes), the protocol (2),
	// the packet type (1) and a pad byte. libpcap and Wireshark read it;
	// there is no nanosecond variant.
	magicPcapModified = 0xa1b2cd34
	modifiedHdrLen    = 16 + 8
)

// swapped is a magic number as a writer of the other byte order stored it.
func swapped(m uint32) uint32 { return bits.ReverseBytes32(m) }

// pcapMagic reports whether the file's first four bytes (read big-endian)
// are a classic pcap magic number.
func pcapMagic(m uint32) bool {
	switch m {
	case magicPcap, magicPcapNanos, magicPcapModified, swapped(magicPcap), swapped(magicPcapNanos), swapped(magicPcapModified):
		return true
	}
	return false
}

// maxCaptureLen is the largest packet record accepted when the file's
// snaplen is smaller or unset: what tcpdump and Wireshark accept.
const maxCaptureLen = 262144

// newPcapReader reads the file header. The bufio.Reader must be larger
// than any packet it will hand out.
func newPcapReader(r *bufio.Reader) (*pcapReader, error) {
	var h [24]byte
	if n, err := io.ReadFull(r, h[:]); err != nil {
		if err != io.ErrUnexpectedEOF && err != io.EOF {
			return nil, readError(err, 0)
		}
		return nil, truncated("the file ends %d bytes into the 24-byte pcap header", n)
	}
	p := &pcapReader{r: r, off: 24, hdrLen: 16}
	switch binary.LittleEndian.Uint32(h[0:4]) {
	case magicPcap:
		p.order = binary.LittleEndian
	case magicPcapNanos:
		p.order, p.nanos = binary.LittleEndian, true
	case magicPcapModified:
		p.order, p.hdrLen = binary.LittleEndian, modifiedHdrLen
	case swapped(magicPcap):
		p.order = binary.BigEndian
	case swapped(magicPcapNanos):
		p.order, p.nanos = binary.BigEndian, true
	case swapped(magicPcapModified):
		p.order, p.hdrLen = binary.BigEndian, modifiedHdrLen
	default:
		return nil, fmt.Errorf("%w (magic %x)", ErrNotCapture, h[0:4])
	}
	major, minor := p.order.Uint16(h[4:6]), p.order.Uint16(h[6:8])
	p.lenSwap = lengthOrderOf(major, minor)
	snap := int(p.order.Uint32(h[16:20]))
	p.maxCap = min(max(snap, maxCaptureLen), r.Size())
	// The upper bits of the link-type field carry the FCS length flags.
	p.linkType = p.order.Uint32(h[20:24]) & 0x0fffffff
	// Variants whose records say their header length (pcapvariant.go).
	switch {
	case p.hdrLen == modifiedHdrLen:
		p.chooseHdrLen(ss990417HdrLen, ss990915HdrLen)
	case !p.nanos && major == 2 && minor == 4:
		p.chooseHdrLen(standardHdrLen, ss990417HdrLen)
	}
	return p, nil
}

// next returns the next packet's data (valid until the following call),
// its time in Unix nanoseconds and its length on the wire.
func (p *pcapReader) next() (data []byte, ts int64, err error) {
	if p.pending > 0 {
		p.r.Discard(p.pending) // peeked whole: cannot fail
		p.off += int64(p.pending)
		p.pending = 0
	}
	h, err := p.r.Peek(p.hdrLen)
	if len(h) == 0 && err == io.EOF {
		return nil, 0, io.EOF
	}
	if err := readError(err, p.off); err != nil {
		return nil, 0, err
	}
	if len(h) < p.hdrLen {
		return nil, 0, truncated("the file ends %d bytes into a %d-byte packet record header at byte %d", len(h), p.hdrLen, p.off)
	}
	sec := int64(p.order.Uint32(h[0:4]))
	frac := int64(p.order.Uint32(h[4:8]))
	caplen := int(p.order.Uint32(h[8:12]))
	if p.lenSwap != lengthsInOrder {
		if wire := int(p.order.Uint32(h[12:16])); p.lenSwap == lengthsSwapped || caplen > wire {
			caplen = wire
		}
	}
	if caplen > p.maxCap {
		return nil, 0, tooLong(caplen, p.maxCap)
	}
	if !p.nanos {
		frac *= 1000
	}
	p.r.Discard(p.hdrLen) // peeked
	p.off += int64(p.hdrLen)
	data, err = p.r.Peek(caplen)
	if err := readError(err, p.off); err != nil {
		return nil, 0, err
	}
	if len(data) < caplen {
		return nil, 0, truncated("the file ends %d bytes into a %d-byte packet record at byte %d", len(data), caplen, p.off-int64(p.hdrLen))
	}
	p.pending = caplen
	return data, sec*1e9 + frac, nil
}

// lengthOrder is where a file's version puts the captured length.
type lengthOrder uint8

const (
	lengthsInOrder      lengthOrder = iota // captured length, then wire length
	lengthsSwapped                         // wire length first: versions before 2.3 (and DG/UX's 543)
	lengthsMaybeSwapped                    // 2.3: some writers kept the old order; a captured length over the wire length says so
)

// lengthOrderOf is the length order of pcap version major.minor, as
// libpcap's and Wireshark's readers take it.
func lengthOrderOf(major, minor uint16) lengthOrder {
	switch {
	case major == 2 && minor < 3, major == 543:
		return lengthsSwapped
	case major == 2 && minor == 3:
		return lengthsMaybeSwapped
	}
	return lengthsInOrder
}
