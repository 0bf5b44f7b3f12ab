package capture

import (
	"errors"
	"fmt"
)

// Error is a problem in a capture: which source, at which packet.
type Error struct {
	Source string
	Packet int // 1-based packet number; 0 for the file as a whole
	Err    error
}

func (e *Error) Error() string {
	if e.Packet == 0 {
		return fmt.Sprintf("%s: %v", e.Source, e.Err)
	}
	return fmt.Sprintf("%s: packet %d: %v", e.Source, e.Packet, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// The classes of problems: every *Error wraps one of them (or an I/O
// error of the file).
var (
	// ErrTruncated: the file ends inside a header, record or block.
	ErrTruncated = errors.New("capture file is truncated")
	// ErrNotCapture: the file is neither pcap nor pcapng.
	ErrNotCapture = errors.New("not a pcap or pcapng file")
	// ErrDirectory: a directory was given where a capture file belongs.
	ErrDirectory = errors.New("is a directory, not a capture file")
	// ErrMalformed: the file's framing contradicts itself (a block
	// length below its minimum, a trailer that does not match, a packet
	// longer than its block ...), so nothing after it can be read.
	ErrMalformed = errors.New("malformed capture")
	// ErrEmptyRecords: most of the file's packet records hold no bytes.
	ErrEmptyRecords = errors.New("empty packet records")
	// ErrUnsupported: a part of the file this reader cannot read (a
	// pcapng section of an unknown version) was skipped.
	ErrUnsupported = errors.New("unsupported capture format")
)

// problem is a precise message that belongs to one of the classes above.
type problem struct {
	class error
	msg   string
}

func (p *problem) Error() string { return p.msg }
func (p *problem) Unwrap() error { return p.class }

// truncated says where a file ends too soon; its message starts with
// ErrTruncated's.
func truncated(format string, args ...any) error {
	return &problem{ErrTruncated, ErrTruncated.Error() + ": " + fmt.Sprintf(format, args...)}
}

// malformed says what contradicts itself.
func malformed(format string, args ...any) error {
	return &problem{ErrMalformed, fmt.Sprintf(format, args...)}
}

// tooLong is a packet longer than the snap length allows.
func tooLong(caplen, limit int) error {
	return malformed("packet record longer than the snap length: %d > %d", caplen, limit)
}

// BlockError is a problem with one pcapng block: which, and where.
type BlockError struct {
	Offset int64  // of the block's first byte in the file
	Type   uint32 // the block type
	Err    error  // wraps ErrTruncated or ErrMalformed
}

func (e *BlockError) Error() string {
	return fmt.Sprintf("%s at byte %d: %v", blockName(e.Type), e.Offset, e.Err)
}

func (e *BlockError) Unwrap() error { return e.Err }

// pcapng block types.
const (
	blockSHB uint32 = 0x0a0d0d0a
	blockIDB uint32 = 1
	blockPB  uint32 = 2 // the obsolete packet block
	blockSPB uint32 = 3
	blockNRB uint32 = 4
	blockISB uint32 = 5
	blockEPB uint32 = 6
	blockDSB uint32 = 10
)

// blockName names a pcapng block type as the specification does.
func blockName(t uint32) string {
	switch t {
	case blockSHB:
		return "section header block"
	case blockIDB:
		return "interface description block"
	case blockPB:
		return "packet block (obsolete)"
	case blockSPB:
		return "simple packet block"
	case blockNRB:
		return "name resolution block"
	case blockISB:
		return "interface statistics block"
	case blockEPB:
		return "enhanced packet block"
	case blockDSB:
		return "decryption secrets block"
	}
	return fmt.Sprintf("block of type 0x%08x", t)
}
