package novelty

import "github.com/tlsentry/tlsentry/detector/features"

// Most categorical values are 16-bit code points named in hex ("0x1301":
// cipher suites, extensions, groups, signature algorithms), several dozen
// per flow. A profile keeps the known ones of each feature as a bit set
// besides the counts, so that scoring a flow tests bits instead of
// hashing strings.
type hexSet [1 << 16 / 64]uint64

func (h *hexSet) has(x uint16) bool { return h[x>>6]&(1<<(x&63)) != 0 }

// parseHex16 reads a value named as the features name 16-bit values:
// "0x" and four lower-case hex digits.
func parseHex16(s string) (uint16, bool) {
	if len(s) != 6 || s[0] != '0' || s[1] != 'x' {
		return 0, false
	}
	var x uint16
	for i := 2; i < 6; i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			return 0, false
		}
		x = x<<4 | uint16(c)
	}
	return x, true
}

// index builds the bit set of a feature's known values named in hex; nil
// when it has none.
func (cp *CatProfile) index() {
	cp.hex = nil
	for s, n := range cp.Counts {
		if x, ok := parseHex16(s); ok && n > 0 {
			if cp.hex == nil {
				cp.hex = new(hexSet)
			}
			cp.hex[x>>6] |= 1 << (x & 63)
		}
	}
}

// known reports whether training saw s (leaving nothing out).
func (cp *CatProfile) known(s string) bool {
	if cp.hex != nil {
		if x, ok := features.HexValue(s); ok {
			return cp.hex.has(x)
		}
		if x, ok := parseHex16(s); ok {
			return cp.hex.has(x)
		}
	}
	return cp.Counts[s] > 0
}

// knowsAll reports whether training saw every value in codes (16-bit
// values named in hex), as known would for each name.
func (cp *CatProfile) knowsAll(codes []uint16) bool {
	if len(codes) == 0 {
		return true
	}
	h := cp.hex
	if h == nil {
		return false
	}
	for _, x := range codes {
		if !h.has(x) {
			return false
		}
	}
	return true
}

// knownPrefix returns how many of values, from the first, training saw.
func (cp *CatProfile) knownPrefix(values []string) int {
	for i, s := range values {
		if !cp.known(s) {
			return i
		}
	}
	return len(values)
}
