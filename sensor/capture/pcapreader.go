package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// pcapReader reads classic pcap files. Unlike pcapgo's reader it hands out
// packet data straight from its read buffer (no copy per packet) and
// keeps timestamps as integers: the read loop is a third of the sensor's
// offline time.
type pcapReader struct {
	r        *bufio.Reader
	order    binary.ByteOrder
	nanos    bool // nanosecond timestamps (magic a1b23c4d)
	linkType uint32
	maxCap   int
	pending  int // bytes of the previous packet to discard before the next
}

// maxCaptureLen is the largest packet record accepted when the file's
// snaplen is smaller or unset: what tcpdump and Wireshark accept.
const maxCaptureLen = 262144

var errRecordTooLong = errors.New("packet record longer than the snap length")

// newPcapReader reads the file header. The bufio.Reader must be larger
// than any packet it will hand out.
func newPcapReader(r *bufio.Reader) (*pcapReader, error) {
	var h [24]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, fmt.Errorf("pcap header: %w", ErrTruncated)
	}
	p := &pcapReader{r: r}
	switch binary.LittleEndian.Uint32(h[0:4]) {
	case 0xa1b2c3d4:
		p.order = binary.LittleEndian
	case 0xa1b23c4d:
		p.order, p.nanos = binary.LittleEndian, true
	case 0xd4c3b2a1:
		p.order = binary.BigEndian
	case 0x4d3cb2a1:
		p.order, p.nanos = binary.BigEndian, true
	default:
		return nil, fmt.Errorf("%w (magic %x)", ErrNotCapture, h[0:4])
	}
	snap := int(p.order.Uint32(h[16:20]))
	p.maxCap = min(max(snap, maxCaptureLen), r.Size())
	// The upper bits of the link-type field carry the FCS length flags.
	p.linkType = p.order.Uint32(h[20:24]) & 0x0fffffff
	return p, nil
}

// next returns the next packet's data (valid until the following call),
// its time in Unix nanoseconds and its length on the wire.
func (p *pcapReader) next() (data []byte, ts int64, err error) {
	if p.pending > 0 {
		if _, err := p.r.Discard(p.pending); err != nil {
			return nil, 0, ErrTruncated
		}
		p.pending = 0
	}
	h, err := p.r.Peek(16)
	if err != nil {
		if err == io.EOF && len(h) == 0 {
			return nil, 0, io.EOF
		}
		return nil, 0, ErrTruncated
	}
	sec := int64(p.order.Uint32(h[0:4]))
	frac := int64(p.order.Uint32(h[4:8]))
	caplen := int(p.order.Uint32(h[8:12]))
	if caplen > p.maxCap {
		return nil, 0, fmt.Errorf("%w: %d > %d", errRecordTooLong, caplen, p.maxCap)
	}
	if !p.nanos {
		frac *= 1000
	}
	if _, err := p.r.Discard(16); err != nil {
		return nil, 0, ErrTruncated
	}
	data, err = p.r.Peek(caplen)
	if err != nil {
		return nil, 0, ErrTruncated
	}
	p.pending = caplen
	return data, sec*1e9 + frac, nil
}
