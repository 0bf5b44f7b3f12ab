package capture

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
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

// FileSource reads a pcap or pcapng file, or one of them gzip-compressed.
type FileSource struct {
	path   string
	f      *os.File
	pcap   *pcapReader   // classic pcap
	ng     *pcapngReader // pcapng
	link   uint32
	number int
	empty  int  // records without captured bytes
	ended  bool // the end was reached and reported
}

// readBuffer bounds what one packet record or pcapng block can take: the
// readers hand out slices of it.
const readBuffer = 1 << 20

// Stdin is the path that stands for standard input, as in tcpdump -r -
// (libpcap's pcap_open_offline reads it so): a capture piped in.
const Stdin = "-"

// stdinName names standard input in messages.
const stdinName = "standard input"

// OpenFile opens a pcap or pcapng capture, telling them apart by magic;
// either may be gzip-compressed (as Wireshark reads them: captures are
// often kept so). Stdin ("-") reads standard input, which Close leaves
// open.
func OpenFile(path string) (*FileSource, error) {
	if path == Stdin {
		return newFileSource(stdinName, os.Stdin)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open capture: %w", err)
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, &Error{Source: path, Err: ErrDirectory}
	}
	s, err := newFileSource(path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	s.f = f
	return s, nil
}

// newFileSource reads the header of the capture r, decompressing it if it
// is gzip-compressed; the caller sets f.
func newFileSource(path string, r io.Reader) (*FileSource, error) {
	br := bufio.NewReaderSize(r, readBuffer)
	magic, err := peekMagic(br, "the file")
	if err != nil {
		return nil, &Error{Source: path, Err: err}
	}
	compressed := isGzip(magic)
	if compressed {
		z, err := gzip.NewReader(br)
		if err != nil {
			return nil, &Error{Source: path, Err: gzipError(err, 0)}
		}
		br = bufio.NewReaderSize(&gunzip{z: z}, readBuffer)
		if magic, err = peekMagic(br, "the decompressed file"); err != nil {
			return nil, &Error{Source: path, Err: err}
		}
	}
	s := &FileSource{path: path}
	switch m := binary.BigEndian.Uint32(magic); {
	case m == blockSHB:
		s.ng = newPcapngReader(br)
	case pcapMagic(m):
		r, err := newPcapReader(br)
		if err != nil {
			return nil, &Error{Source: path, Err: err}
		}
		s.pcap, s.link = r, r.linkType
	case compressed:
		return nil, &Error{Source: path, Err: fmt.Errorf("%w: gzip-compressed, but what it holds is not (magic %x)", ErrNotCapture, magic)}
	default:
		return nil, &Error{Source: path, Err: fmt.Errorf("%w (magic %x)", ErrNotCapture, magic)}
	}
	return s, nil
}

// peekMagic returns the first four bytes of what br reads (what: "the
// file", for messages).
func peekMagic(br *bufio.Reader, what string) ([]byte, error) {
	magic, err := br.Peek(4)
	if len(magic) == 4 {
		return magic, nil
	}
	if rerr := readError(err, 0); rerr != nil {
		return nil, rerr
	}
	if len(magic) == 0 {
		return nil, fmt.Errorf("%w: %s is empty", ErrNotCapture, what)
	}
	return nil, fmt.Errorf("%w: %d bytes, too short for a header", ErrNotCapture, len(magic))
}

// Name is the file's path.
func (s *FileSource) Name() string { return s.path }

// Close closes the file.
func (s *FileSource) Close() error {
	if s.f == nil {
		return nil
	}
	return s.f.Close()
}

// Next returns the next frame, or a *Error naming the packet that could
// not be read. At the end of the file it returns io.EOF, or once a *Error
// with Packet 0 first when the file as a whole has a problem: most of its
// records empty, or pcapng sections skipped.
func (s *FileSource) Next() (Frame, error) {
	var (
		fr  Frame
		err error
	)
	if s.pcap != nil {
		fr.Data, fr.Time, err = s.pcap.next()
		fr.LinkType = s.link
	} else {
		fr.Data, fr.Time, fr.LinkType, err = s.ng.next()
	}
	if err == io.EOF {
		return Frame{}, s.end()
	}
	if err != nil {
		return Frame{}, &Error{Source: s.path, Packet: s.number + 1, Err: err}
	}
	s.number++
	fr.Number = s.number
	if len(fr.Data) == 0 {
		s.empty++
	}
	return fr, nil
}

// end reports, once, what is wrong with the file as a whole: a file whose
// records are mostly empty reads as a clean one with no traffic, so it is
// said (a few empty records among many are only counted).
func (s *FileSource) end() error {
	if s.ended {
		return io.EOF
	}
	s.ended = true
	if s.ng != nil {
		if err := s.ng.endReport(); err != nil {
			return &Error{Source: s.path, Err: err}
		}
	}
	if s.empty > 0 && 2*s.empty > s.number {
		return &Error{Source: s.path, Err: fmt.Errorf("%w: %d of %d packet records have no captured bytes", ErrEmptyRecords, s.empty, s.number)}
	}
	return io.EOF
}

// EmptyRecords is how many records so far held no captured bytes.
func (s *FileSource) EmptyRecords() int { return s.empty }
