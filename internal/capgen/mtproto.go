package capgen

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
)

// MTProtoHeader draws the 64-byte header a Telegram client sends first on
// MTProto's obfuscated transport, with tag (0xefefefef abridged,
// 0xeeeeeeee intermediate, 0xdddddddd padded intermediate) encrypted into
// bytes 56-59 by AES-256-CTR under the key (bytes 8-39) and counter
// (40-55) the header itself carries. It redraws as clients do when the
// first word could be taken for another transport or for HTTP, and when
// bytes 4-7 are zero. (core.telegram.org/mtproto/mtproto-transports.)
func MTProtoHeader(r *rand.Rand, tag uint32) ([]byte, error) {
	b := make([]byte, 64)
	for {
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		if clientMayStart(b) {
			break
		}
	}
	binary.BigEndian.PutUint32(b[56:60], tag)
	block, err := aes.NewCipher(b[8:40])
	if err != nil {
		return nil, fmt.Errorf("mtproto header: %w", err)
	}
	enc := make([]byte, 64)
	cipher.NewCTR(block, b[40:56]).XORKeyStream(enc, b)
	copy(b[56:64], enc[56:64]) // the key and counter travel in clear
	return b, nil
}

func clientMayStart(b []byte) bool {
	if b[0] == 0xef || binary.BigEndian.Uint32(b[4:8]) == 0 {
		return false
	}
	switch string(b[:4]) {
	case "HEAD", "POST", "GET ", "OPTI", "\x16\x03\x01\x02", "\xdd\xdd\xdd\xdd", "\xee\xee\xee\xee":
		return false
	}
	return true
}
