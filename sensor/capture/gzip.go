package capture

import (
	"compress/flate"
	"compress/gzip"
	"errors"
	"io"
)

// Captures are often kept gzip-compressed (logrotate, archives,
// tcpdump -w - | gzip); Wireshark and tshark read them as they are. A
// FileSource decompresses one on the fly when the file starts with gzip's
// magic (RFC 1952: 1f 8b), whatever its name, and reads what it holds as
// any capture. Offsets in messages are then those of the decompressed
// data.

// isGzip reports whether a file that starts with magic is gzip-compressed.
func isGzip(magic []byte) bool { return len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b }

// gunzip decompresses a capture, saying what goes wrong as the capture's
// problems: compressed data cut short is a truncated capture, corrupt
// data a malformed one.
type gunzip struct {
	z *gzip.Reader
	n int64 // bytes decompressed so far
}

func (g *gunzip) Read(p []byte) (int, error) {
	n, err := g.z.Read(p)
	g.n += int64(n)
	if err != nil && err != io.EOF {
		err = gzipError(err, g.n)
	}
	return n, err
}

// gzipError is err of the gzip reader, n bytes into the decompressed data,
// as a capture problem (other errors, of the file, as they are).
func gzipError(err error, n int64) error {
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return truncated("the gzip-compressed file ends inside its compressed data (%d bytes decompressed): was it copied whole?", n)
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader), errors.As(err, &corrupt):
		return malformed("gzip-compressed data is corrupt after %d bytes decompressed: %v", n, err)
	}
	return err
}
