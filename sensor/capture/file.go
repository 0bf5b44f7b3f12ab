package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Frame is one captured frame. Data is only valid until the next call to
// the source's Next.
type Frame struct {
	Data     []byte
	Time     int64  // Unix nanoseconds
	LinkType uint32 // LINKTYPE_* of the interface it was captured on
	Number   int    // 1-based position in its source
}

// Source yields captured frames. Next returns io.EOF at the end.
type Source interface {
	Next() (Frame, error)
	Name() string
	Close() error
}

// Error is a problem in a capture: which source, at which packet.
type Error struct {
	Source string
	Packet int // 1-based packet number; 0 for the file header
	Err    error
}

func (e *Error) Error() string {
	if e.Packet == 0 {
		return fmt.Sprintf("%s: %v", e.Source, e.Err)
	}
	return fmt.Sprintf("%s: packet %d: %v", e.Source, e.Packet, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrTruncated is wrapped when a capture file ends inside a record.
var ErrTruncated = errors.New("capture file is truncated (ends inside a packet record)")

// ErrNotCapture is wrapped when a file is neither pcap nor pcapng.
var ErrNotCapture = errors.New("not a pcap or pcapng file")

// FileSource reads a pcap or pcapng file.
type FileSource struct {
	path   string
	f      *os.File
	pcap   *pcapReader      // classic pcap
	ng     *pcapgo.NgReader // pcapng
	link   uint32
	number int
}

// OpenFile opens a pcap or pcapng capture, telling them apart by magic.
func OpenFile(path string) (*FileSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open capture: %w", err)
	}
	s, err := newFileSource(path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

func newFileSource(path string, f *os.File) (*FileSource, error) {
	br := bufio.NewReaderSize(f, 1<<20) // larger than any packet: pcapReader hands out slices of it
	magic, err := br.Peek(4)
	if err != nil {
		return nil, &Error{Source: path, Err: fmt.Errorf("%w: file too short for a header", ErrNotCapture)}
	}
	s := &FileSource{path: path, f: f}
	switch binary.BigEndian.Uint32(magic) {
	case 0x0a0d0d0a:
		ng, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			return nil, &Error{Source: path, Err: fmt.Errorf("pcapng header: %w", err)}
		}
		s.ng = ng
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
		r, err := newPcapReader(br)
		if err != nil {
			return nil, &Error{Source: path, Err: err}
		}
		s.pcap, s.link = r, r.linkType
	default:
		return nil, &Error{Source: path, Err: fmt.Errorf("%w (magic %x)", ErrNotCapture, magic)}
	}
	return s, nil
}

// Name is the file's path.
func (s *FileSource) Name() string { return s.path }

// Close closes the file.
func (s *FileSource) Close() error { return s.f.Close() }

// Next returns the next frame, io.EOF at the clean end of the file, or a
// *Error naming the packet that could not be read.
func (s *FileSource) Next() (Frame, error) {
	if s.pcap != nil {
		data, ts, err := s.pcap.next()
		if err != nil {
			return Frame{}, s.fail(err)
		}
		s.number++
		return Frame{Data: data, Time: ts, LinkType: s.link, Number: s.number}, nil
	}
	data, ci, err := s.ng.ZeroCopyReadPacketData()
	if err != nil {
		return Frame{}, s.fail(err)
	}
	s.number++
	fr := Frame{Data: data, Time: ci.Timestamp.UnixNano(), Number: s.number}
	if len(ci.AncillaryData) > 0 {
		if lt, ok := ci.AncillaryData[0].(layers.LinkType); ok {
			fr.LinkType = uint32(lt)
		}
	}
	return fr, nil
}

func (s *FileSource) fail(err error) error {
	if err == io.EOF {
		return io.EOF
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = ErrTruncated
	}
	return &Error{Source: s.path, Packet: s.number + 1, Err: err}
}
