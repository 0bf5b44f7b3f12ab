package inetsum

import "encoding/binary"

// Checksum is the Internet checksum of b (an IPv4 header with its
// checksum field zeroed gives the value to put there; a header with its
// checksum in place gives 0 when it verifies). An odd last byte counts
// as the high byte of a 16-bit word.
func Checksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}
