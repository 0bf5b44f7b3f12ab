package inetsum

import "testing"

// TestChecksum: RFC 1071's worked example, and a real IPv4 header (from
// Wikipedia's IPv4 header checksum example) that verifies to 0.
func TestChecksum(t *testing.T) {
	// RFC 1071 4.1: the words 0001 f203 f4f5 f6f7 sum to 0xddf2; the
	// checksum is its complement.
	if got := Checksum([]byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}); got != ^uint16(0xddf2) {
		t.Errorf("RFC 1071 example: %#04x", got)
	}
	h := []byte{0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7}
	if got := Checksum(h); got != 0xb861 {
		t.Errorf("header checksum %#04x, want 0xb861", got)
	}
	h[10], h[11] = 0xb8, 0x61
	if got := Checksum(h); got != 0 {
		t.Errorf("a header with its checksum sums to %#04x", got)
	}
	if got := Checksum([]byte{0x01}); got != ^uint16(0x0100) {
		t.Errorf("odd byte: %#04x", got)
	}
}
