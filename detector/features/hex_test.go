package features

import (
	"strings"
	"testing"
)

func TestHexValue(t *testing.T) {
	for x := range 1 << 16 {
		if got, ok := HexValue(hex16(uint16(x))); !ok || got != uint16(x) {
			t.Fatalf("HexValue(%q) = %#x, %v; want %#x, true", hex16(uint16(x)), got, ok, x)
		}
	}
	// Only the table's own names: the same digits elsewhere, a slice of
	// the table across two names, or another string, are not taken.
	for _, s := range []string{strings.Clone(hex16(0x1301)), "0x1301", hexAll[1:7], hexAll[3:9], hexAll[:5], "", "0xzzzz"} {
		if x, ok := HexValue(s); ok {
			t.Errorf("HexValue(%q) = %#x, true; want false", s, x)
		}
	}
}
