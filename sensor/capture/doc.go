// Package capture reads capture files: classic pcap (microsecond and
// nanosecond, either byte order, Kuznetsov's modified pcap, and the record
// layouts of Red Hat 6.1's and SuSE 6.3's tcpdumps, told by their first
// records: pcapvariant.go) and pcapng
// (sections in either byte order, several interfaces of different link
// types and timestamp resolutions; enhanced, simple and obsolete packet
// blocks), told apart by their magic number, either of them
// gzip-compressed or not; "-" is standard input. A FileSource hands out
// frames one at a time without copying them, from a read buffer that
// bounds what any record or block can take.
//
// Every problem is an *Error naming the file and the packet, wrapping
// what it is (ErrTruncated, ErrMalformed, ErrNotCapture, ErrDirectory,
// ErrEmptyRecords, ErrUnsupported) and, in a pcapng file, a *BlockError
// naming the block and its offset, so a caller can report it precisely
// and go on with the next file. A file whose records are mostly empty,
// or whose pcapng sections of an unknown version were skipped, is
// reported once at its end.
//
// Live capture (AF_PACKET) is package afpacket; both give frames that
// package decode turns into TCP segments.
package capture
