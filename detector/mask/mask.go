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
			switch e.Type {
			case tlsparse.ExtKeyShare:
				clientShares(dst, e.Data)
			case tlsparse.ExtSessionTicket:
				zero(dst, e.Data) // a ticket the server sealed
			case tlsparse.ExtPreSharedKey:
				pskOffer(dst, e.Data)
			case tlsparse.ExtEncryptedClientHello:
				// After type (1), cipher suite (4) and config id (1): the
				// encapsulated key and the encrypted inner hello, or a
				// GREASE ECH's random ones.
				if len(e.Data) > 6 {
					zero(dst, e.Data[6:])
				}
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

// pskOffer zeroes a pre_shared_key offer's identities (each a 2-byte
// length, a ticket the server sealed and its 4-byte obfuscated age) and
// binders (each a 1-byte length and an HMAC): a 2-byte identities length,
// the identities, a 2-byte binders length, the binders (RFC 8446 4.2.11).
func pskOffer(dst, data []byte) {
	if len(data) < 2 {
		return
	}
	n := int(data[0])<<8 | int(data[1])
	ids := data[2:min(len(data), 2+n)]
	for len(ids) >= 2 {
		end := min(len(ids), 2+(int(ids[0])<<8|int(ids[1]))+4)
		zero(dst, ids[2:end])
		ids = ids[end:]
	}
	if len(data) < 2+n+2 {
		return
	}
	for b := data[2+n+2:]; len(b) >= 1; {
		end := min(len(b), 1+int(b[0]))
		zero(dst, b[1:end])
		b = b[end:]
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
