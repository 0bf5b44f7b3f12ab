// Package capture reads capture files: classic pcap (microsecond and
// nanosecond, either byte order) and pcapng (with several interfaces of
// different link types), told apart by their magic number. A FileSource
// hands out frames one at a time without copying them; every problem is
// an *Error naming the file and the packet, so a caller can report it and
// go on with the next file.
//
// Live capture (AF_PACKET) is package afpacket; both give frames that
// package decode turns into TCP segments.
package capture
