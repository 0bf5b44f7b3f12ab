package flow

import (
	"encoding/binary"
	"net/netip"
)

// Endpoint is one side of a connection. Addresses are kept as 16 bytes
// (IPv4 in its IPv4-mapped IPv6 form) so that keys are fixed-size values
// that hash without allocation.
type Endpoint struct {
	Addr [16]byte
	Port uint16
}

// AddrPort returns the endpoint as a netip.AddrPort, unmapping IPv4.
func (e Endpoint) AddrPort() netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom16(e.Addr).Unmap(), e.Port)
}

func (e Endpoint) less(o Endpoint) bool {
	for i := range e.Addr {
		if e.Addr[i] != o.Addr[i] {
			return e.Addr[i] < o.Addr[i]
		}
	}
	return e.Port < o.Port
}

// Key identifies a connection regardless of direction: Lo is the
// endpoint that sorts first, so both directions map to the same Key. A TCP
// connection and a UDP flow between the same endpoints are told apart by
// Transport.
type Key struct {
	Lo, Hi    Endpoint
	Transport Transport
}

// KeyOf returns the canonical key of a TCP segment from src to dst and
// whether src is the Lo endpoint.
func KeyOf(src, dst Endpoint) (k Key, srcIsLo bool) {
	if src.less(dst) {
		return Key{Lo: src, Hi: dst}, true
	}
	return Key{Lo: dst, Hi: src}, false
}

// SegmentKey returns the canonical key of a segment (of either transport)
// and whether its source is the Lo endpoint.
func SegmentKey(s *Segment) (k Key, srcIsLo bool) {
	k, srcIsLo = KeyOf(s.Src, s.Dst)
	k.Transport = s.Transport
	return k, srcIsLo
}

// Hash is a symmetric hash of the key (both directions give the same
// value), used to pick a shard and to derive flow ids.
func (k Key) Hash() uint64 {
	// FNV-1a over the canonical bytes; symmetric because the key is.
	h := uint64(14695981039346656037)
	mix := func(b []byte) {
		for _, c := range b {
			h ^= uint64(c)
			h *= 1099511628211
		}
	}
	var p [2]byte
	mix(k.Lo.Addr[:])
	binary.BigEndian.PutUint16(p[:], k.Lo.Port)
	mix(p[:])
	mix(k.Hi.Addr[:])
	binary.BigEndian.PutUint16(p[:], k.Hi.Port)
	mix(p[:])
	if k.Transport != TransportTCP {
		// Only other transports mix it in: TCP keys hash (and so shard and
		// number their flows) as they did before UDP flows existed.
		mix([]byte{byte(k.Transport)})
	}
	return h
}
