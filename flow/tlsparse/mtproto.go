package tlsparse

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
)

// MTProto's obfuscated transport (Telegram's clients use it to reach the
// data centres on port 443 where plain MTProto is blocked) looks like
// random bytes from the first byte on, but it is not: its first 64 bytes
// carry the AES-256-CTR key (bytes 8-39) and counter (40-55) that
// encrypt the stream, so anyone can decrypt them, and the decrypted
// bytes 56-59 are one of three transport tags. Random bytes match by
// chance about once in 1.4 billion. A proxy's secret (MTProxy) mixes into
// the key, so proxied flows stay "random": only direct ones are named.

// obfuscatedHeaderLen is the obfuscated transport's header length.
const obfuscatedHeaderLen = 64

// mtprotoTags are the decrypted transport tags: abridged, intermediate,
// padded intermediate.
var mtprotoTags = [...]uint32{0xefefefef, 0xeeeeeeee, 0xdddddddd}

// looksMTProto reports whether b starts with MTProto's obfuscated
// transport header, as a client sends it.
func looksMTProto(b []byte) bool {
	if len(b) < obfuscatedHeaderLen || !obfuscatedFirstWordAllowed(b) {
		return false
	}
	block, err := aes.NewCipher(b[8:40])
	if err != nil {
		return false
	}
	var dec [obfuscatedHeaderLen]byte
	cipher.NewCTR(block, b[40:56]).XORKeyStream(dec[:], b[:obfuscatedHeaderLen])
	tag := binary.BigEndian.Uint32(dec[56:60])
	for _, t := range mtprotoTags {
		if tag == t {
			return true
		}
	}
	return false
}

// obfuscatedFirstWordAllowed applies the rules a client follows when it
// draws the header, so that it cannot be taken for another transport or
// for HTTP: not 0xef first, not one of the plain transports' or HTTP's
// first four bytes, and not zero in bytes 4-7.
func obfuscatedFirstWordAllowed(b []byte) bool {
	if b[0] == 0xef || binary.BigEndian.Uint32(b[4:8]) == 0 {
		return false
	}
	switch string(b[:4]) {
	case "HEAD", "POST", "GET ", "OPTI", "\x16\x03\x01\x02", "\xdd\xdd\xdd\xdd", "\xee\xee\xee\xee":
		return false
	}
	return true
}
