package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// pcapngReader reads pcapng files: sections in either byte order, their
// interfaces (link type, snap length, if_tsresol, if_tsoffset) and the
// packets of enhanced, simple and obsolete packet blocks; other blocks
// are skipped. Like pcapReader it hands out packet data straight from
// its read buffer. Every length is checked against the block that holds
// it and every trailer against its header, so a problem is named by what
// it is and where (*BlockError); a block it parses must fit the buffer,
// one it skips is read through, so memory stays bounded whatever the
// lengths say.
type pcapngReader struct {
	r       *bufio.Reader
	off     int64            // file offset of the block being read
	pending int              // bytes of the last block, to discard before the next
	order   binary.ByteOrder // of the current section
	ifaces  []ngInterface    // of the current section

	// skipping: the current section's version is unknown, and the
	// specification says to skip it; skipped counts such sections for the
	// report at the end, first describes the first.
	skipping bool
	skipped  int
	first    string

	lastTime int64 // of the last packet: a simple packet block has none
}

// maxInterfaces bounds the interfaces of one section (memory).
const maxInterfaces = 1 << 16

// The smallest length of each block the reader parses: the fixed fields,
// the two lengths and the type.
var minBlockLen = map[uint32]int{blockSHB: 28, blockIDB: 20, blockPB: 32, blockSPB: 16, blockEPB: 32}

const minAnyBlock = 12

// newPcapngReader takes the reader at the start of the file (whose magic
// was checked); the first section header is read with the first packet.
func newPcapngReader(r *bufio.Reader) *pcapngReader {
	return &pcapngReader{r: r}
}

// next returns the next packet's data (valid until the following call),
// its time in Unix nanoseconds and its interface's link type.
func (p *pcapngReader) next() (data []byte, ts int64, link uint32, err error) {
	for {
		if p.pending > 0 {
			// The block was peeked whole: discarding it cannot fail.
			p.r.Discard(p.pending)
			p.off += int64(p.pending)
			p.pending = 0
		}
		typ, length, order, err := p.header()
		if err != nil {
			return nil, 0, 0, err
		}
		if _, parsed := minBlockLen[typ]; !parsed || (p.skipping && typ != blockSHB) {
			if err := p.skip(typ, length, order); err != nil {
				return nil, 0, 0, err
			}
			continue
		}
		b, err := p.body(typ, length, order)
		if err != nil {
			return nil, 0, 0, err
		}
		switch typ {
		case blockSHB:
			err = p.section(b, order)
		case blockIDB:
			err = p.iface(b)
		default:
			data, ts, link, err = p.packet(typ, b)
			if err == nil {
				return data, ts, link, nil
			}
		}
		if err != nil {
			return nil, 0, 0, &BlockError{Offset: p.off, Type: typ, Err: err}
		}
	}
}

// header reads the type and total length of the next block, and the byte
// order to read it in (a section header's own). io.EOF: the file ends
// cleanly between blocks.
func (p *pcapngReader) header() (typ uint32, length int, order binary.ByteOrder, err error) {
	h, err := p.r.Peek(minAnyBlock)
	if len(h) == 0 && err == io.EOF {
		return 0, 0, nil, io.EOF
	}
	if err := readError(err, p.off); err != nil {
		return 0, 0, nil, err
	}
	if len(h) < 8 {
		return 0, 0, nil, truncated("the file ends %d bytes into a block header at byte %d", len(h), p.off)
	}
	order = p.order
	if binary.BigEndian.Uint32(h) == blockSHB {
		if len(h) < minAnyBlock {
			return 0, 0, nil, &BlockError{p.off, blockSHB, truncated("the file ends %d bytes into the block", len(h))}
		}
		switch bom := binary.BigEndian.Uint32(h[8:]); bom {
		case 0x1a2b3c4d:
			order = binary.BigEndian
		case 0x4d3c2b1a:
			order = binary.LittleEndian
		default:
			return 0, 0, nil, &BlockError{p.off, blockSHB, malformed("byte-order magic %08x is not 1a2b3c4d in either byte order", bom)}
		}
	}
	if order == nil { // cannot happen after the magic check; a reader misused
		return 0, 0, nil, malformed("the file does not start with a section header block")
	}
	typ, length = order.Uint32(h), int(order.Uint32(h[4:]))
	fail := func(err error) (uint32, int, binary.ByteOrder, error) {
		return 0, 0, nil, &BlockError{p.off, typ, err}
	}
	if length%4 != 0 {
		return fail(malformed("block length %d is not a multiple of 4", length))
	}
	least := max(minBlockLen[typ], minAnyBlock)
	if length < least {
		return fail(malformed("block length %d is less than the %d bytes it needs at least", length, least))
	}
	return typ, length, order, nil
}

// body peeks a block whole and checks its trailer; it is discarded
// before the next block is read.
func (p *pcapngReader) body(typ uint32, length int, order binary.ByteOrder) ([]byte, error) {
	if length > p.r.Size() {
		return nil, &BlockError{p.off, typ, malformed("block length %d is more than the %d bytes this reader takes for a block it reads", length, p.r.Size())}
	}
	b, err := p.r.Peek(length)
	if err := readError(err, p.off); err != nil {
		return nil, err
	}
	if len(b) < length {
		return nil, &BlockError{p.off, typ, truncated("the file ends %d bytes into the block's %d", len(b), length)}
	}
	if trailer := int(order.Uint32(b[length-4:])); trailer != length {
		return nil, &BlockError{p.off, typ, malformed("trailing block length %d does not match the leading %d", trailer, length)}
	}
	p.pending = length
	return b, nil
}

// skip reads through a block the reader does not parse, checking that it
// is all there and that its trailer matches.
func (p *pcapngReader) skip(typ uint32, length int, order binary.ByteOrder) error {
	n, err := p.r.Discard(length - 4)
	if err := readError(err, p.off); err != nil {
		return err
	}
	t, err := p.r.Peek(4)
	if err := readError(err, p.off); err != nil {
		return err
	}
	if n < length-4 || len(t) < 4 {
		return &BlockError{p.off, typ, truncated("the file ends %d bytes into the block's %d", n+len(t), length)}
	}
	if trailer := int(order.Uint32(t)); trailer != length {
		return &BlockError{p.off, typ, malformed("trailing block length %d does not match the leading %d", trailer, length)}
	}
	p.r.Discard(4)
	p.off += int64(length)
	return nil
}

// readError is a read error other than the end of the file, placed.
func readError(err error, off int64) error {
	if err == nil || err == io.EOF || errors.Is(err, bufio.ErrBufferFull) {
		return nil
	}
	if _, ok := err.(*problem); ok {
		return err // says where itself (gzip-compressed data cut short or corrupt)
	}
	return fmt.Errorf("read at byte %d: %w", off, err)
}

// section starts a new section: its byte order, no interfaces yet. A
// section of another major version (or a minor other than 0 and 2,
// which Wireshark and libpcap read as 0) is skipped, as the
// specification says, and reported at the end.
func (p *pcapngReader) section(b []byte, order binary.ByteOrder) error {
	major, minor := order.Uint16(b[12:]), order.Uint16(b[14:])
	p.order, p.ifaces = order, p.ifaces[:0]
	p.skipping = major != 1 || (minor != 0 && minor != 2)
	if p.skipping {
		if p.skipped == 0 {
			p.first = fmt.Sprintf("the section at byte %d is pcapng version %d.%d (this reader takes 1.0 and 1.2)", p.off, major, minor)
		}
		p.skipped++
	}
	return nil
}

// endReport says what was skipped, or nil.
func (p *pcapngReader) endReport() error {
	switch p.skipped {
	case 0:
		return nil
	case 1:
		return &problem{ErrUnsupported, p.first + ": its packets were skipped"}
	}
	return &problem{ErrUnsupported, fmt.Sprintf("%d sections of unsupported versions were skipped with their packets; %s", p.skipped, p.first)}
}
