package capgen

import (
	"bytes"
	"encoding/binary"
	"slices"

	"github.com/tlsentry/tlsentry/internal/inetsum"
)

// FragmentFrame cuts an Ethernet frame's IP packet into fragments whose
// payloads are at most size bytes (a multiple of 8), each its own frame
// with the frame's Ethernet header: IPv4 fragments with datagram id
// uint16(id), a right header checksum and DF cleared; IPv6 ones behind a
// fragment header of identification id (right after the fixed header:
// for packets without extension headers, as FlowSpec makes them). A
// packet whose payload fits is returned whole. Ethernet padding is left
// out of the fragments.
func FragmentFrame(frame []byte, size int, id uint32) [][]byte {
	eth, ip := frame[:14], frame[14:]
	v6 := ip[0]>>4 == 6
	hl, end := int(ip[0]&0x0f)*4, int(binary.BigEndian.Uint16(ip[2:4]))
	if v6 {
		hl, end = 40, 40+int(binary.BigEndian.Uint16(ip[4:6]))
	}
	payload := ip[hl:end]
	if len(payload) <= size {
		return [][]byte{frame}
	}
	var out [][]byte
	for off := 0; off < len(payload); off += size {
		stop := min(off+size, len(payload))
		more := stop < len(payload)
		h := bytes.Clone(ip[:hl])
		if v6 {
			fh := []byte{h[6], 0, 0, 0, 0, 0, 0, 0}
			fo := uint16(off/8) << 3
			if more {
				fo |= 1
			}
			binary.BigEndian.PutUint16(fh[2:4], fo)
			binary.BigEndian.PutUint32(fh[4:8], id)
			h[6] = 44 // the fragment header
			binary.BigEndian.PutUint16(h[4:6], uint16(len(fh)+stop-off))
			h = append(h, fh...)
		} else {
			binary.BigEndian.PutUint16(h[2:4], uint16(hl+stop-off))
			binary.BigEndian.PutUint16(h[4:6], uint16(id))
			fo := uint16(off / 8)
			if more {
				fo |= 0x2000 // more fragments
			}
			binary.BigEndian.PutUint16(h[6:8], fo)
			h[10], h[11] = 0, 0
			binary.BigEndian.PutUint16(h[10:12], inetsum.Checksum(h))
		}
		out = append(out, slices.Concat(eth, h, payload[off:stop]))
	}
	return out
}
