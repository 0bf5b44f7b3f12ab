package tlsparse

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// telegramHeader is the first 64 bytes a Telegram client sent to a data
// centre on port 443, from nDPI's test capture telegram_videocall.pcapng
// (tests/cfgs/default/pcap, TCP stream 1): its obfuscated transport's
// header, decrypting to the abridged tag.
const telegramHeader = "f8b9357d01ff6ae4f2e43a80667449b134255576f7b465c944bab1bca416e9ca" +
	"c7d620cf78dffc06dc39da584c9b422bdd5a6a121cd2a4d68d3e5af7a35c2ecc"

// obfuscatedHeader draws a header as a client does, with tag encrypted
// into bytes 56-59 by crypto/cipher's CTR (an implementation of its own,
// so that the sniffer's counter arithmetic is checked, not repeated).
func obfuscatedHeader(t *testing.T, r *rand.Rand, tag uint32) []byte {
	t.Helper()
	b := make([]byte, 64)
	for {
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		if obfuscatedFirstWordAllowed(b) {
			break
		}
	}
	b[56], b[57], b[58], b[59] = byte(tag>>24), byte(tag>>16), byte(tag>>8), byte(tag)
	block, err := aes.NewCipher(b[8:40])
	if err != nil {
		t.Fatal(err)
	}
	enc := make([]byte, 64)
	cipher.NewCTR(block, b[40:56]).XORKeyStream(enc, b)
	copy(b[56:60], enc[56:60]) // the rest stays in the clear: the key travels there
	return b
}

func TestSniffMTProto(t *testing.T) {
	real, err := hex.DecodeString(telegramHeader)
	if err != nil {
		t.Fatal(err)
	}
	if got := Sniff(append(real, 0x3c, 0x11, 0x9a)); got != SniffMTProto {
		t.Errorf("Telegram's header: Sniff = %q, want %q", got, SniffMTProto)
	}
	if got := Sniff(real[:63]); got != SniffBinary {
		t.Errorf("63 bytes of it: Sniff = %q, want %q (the header is 64)", got, SniffBinary)
	}
	flipped := append([]byte(nil), real...)
	flipped[57] ^= 1
	if got := Sniff(flipped); got != SniffBinary {
		t.Errorf("tag bit flipped: Sniff = %q, want %q", got, SniffBinary)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, tag := range mtprotoTags {
		h := obfuscatedHeader(t, r, tag)
		if got := Sniff(h); got != SniffMTProto {
			t.Errorf("header with tag %08x: Sniff = %q, want %q", tag, got, SniffMTProto)
		}
		h[0] = 0xef // a plain abridged transport starts so: the client redraws
		if looksMTProto(h) {
			t.Errorf("tag %08x: a header starting 0xef was taken for the obfuscated transport", tag)
		}
	}
	if h := obfuscatedHeader(t, r, 0x12345678); looksMTProto(h) {
		t.Error("a header whose tag is no transport's was taken for MTProto")
	}
	// Random bytes are MTProto about once in 1.4e9 draws: none of these.
	b := make([]byte, 600)
	for i := 0; i < 20000; i++ {
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		if got := Sniff(b); got == SniffMTProto {
			t.Fatalf("random bytes %x... labelled %q", b[:16], got)
		}
	}
}
