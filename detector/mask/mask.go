package mask

import (
	"bytes"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// Apply copies prefix into dst (grown as needed) with the random fields
// of h zeroed where they appear in it, and returns dst. A field is found
// by its bytes (random values do not repeat by chance), so hellos split
// across records or shifted by data before them are handled alike.
func Apply(dst, prefix []byte, h *tlsparse.Handshake) []byte {
	dst = append(dst[:0], prefix...)
	if h == nil {
		return dst
	}
	if ch := h.Client; ch != nil {
		zero(dst, ch.Random)
		zero(dst, ch.SessionID)
		zero(dst, ch.Challenge)
		for _, e := range ch.Extensions {
			if e.Type == tlsparse.ExtKeyShare {
				clientShares(dst, e.Data)
			}
		}
	}
	if sf := h.Server; sf != nil {
		for _, sh := range []*tlsparse.ServerHello{sf.HelloRetryRequest, sf.ServerHello} {
			if sh == nil {
				continue
			}
			zero(dst, sh.Random)
			zero(dst, sh.SessionID)
			for _, e := range sh.Extensions {
				if e.Type == tlsparse.ExtKeyShare && len(e.Data) > 4 {
					zero(dst, e.Data[4:]) // group, length, key
				}
			}
		}
	}
	return dst
}

// clientShares zeroes each key of a ClientHello key_share list: a 2-byte
// list length, then group (2), key length (2), key.
func clientShares(dst, data []byte) {
	if len(data) < 2 {
		return
	}
	data = data[2:]
	for len(data) >= 4 {
		n := int(data[2])<<8 | int(data[3])
		if 4+n > len(data) {
			zero(dst, data[4:])
			return
		}
		zero(dst, data[4:4+n])
		data = data[4+n:]
	}
}

// minField is the shortest field worth searching for: shorter ones could
// match ordinary bytes.
const minField = 8

func zero(dst, field []byte) {
	if len(field) < minField {
		return
	}
	// The prefix may hold only the start of the field (a cut prefix): find
	// where its first bytes are and check that the rest runs to the end.
	head := field[:minField]
	for off := 0; off < len(dst); {
		i := bytes.Index(dst[off:], head)
		if i < 0 {
			return
		}
		i += off
		n := min(len(field), len(dst)-i)
		if bytes.Equal(dst[i:i+n], field[:n]) {
			clear(dst[i : i+n])
			return
		}
		off = i + 1
	}
}
