package beacon

import (
	"math/bits"
	"net/netip"
)

// The hashes are keyed by Config.Seed and deterministic (a capture gives
// the same table layout, so the same evictions, every run). Pairs are
// compared field by field after a hash match; destinations are matched by
// hash alone (a collision merges two destinations' client counts).

const (
	hashK1 = 0xa0761d6478bd642f
	hashK2 = 0xe7037ed1a0b428db
	hashK3 = 0x8ebc6af09c88c6e3
)

// mix folds two words into one with a full 64x64→128 multiply.
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a^hashK1, b^hashK2)
	return hi ^ lo
}

func hashAddr(h uint64, a netip.Addr) uint64 {
	b := a.As16()
	w0 := le64(b[0:8])
	w1 := le64(b[8:16])
	if a.Is4() { // 10.0.0.1 and ::ffff:10.0.0.1 differ for netip; keep them apart
		w0 ^= hashK3
	}
	return mix(h^w0, w1)
}

func hashAddrPort(h uint64, ap netip.AddrPort) uint64 {
	return mix(hashAddr(h, ap.Addr()), uint64(ap.Port())|0x10000)
}

func hashString(h uint64, s string) uint64 {
	h = mix(h, uint64(len(s)))
	for len(s) >= 8 {
		h = mix(h, le64s(s))
		s = s[8:]
	}
	if len(s) > 0 {
		var w uint64
		for i := 0; i < len(s); i++ {
			w |= uint64(s[i]) << (8 * i)
		}
		h = mix(h, w)
	}
	return h
}

func le64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

func le64s(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// rng is a xorshift64* generator for eviction sampling: cheap and
// reproducible from the seed.
type rng uint64

func (r *rng) next() uint64 {
	x := uint64(*r)
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	*r = rng(x)
	return x * 0x2545f4914f6cdd1d
}
