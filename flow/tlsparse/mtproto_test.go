package tlsparse

import (
	"encoding/hex"
	"math/rand/v2"
	"testing"

	"github.com/tlsentry/tlsentry/internal/capgen"
)

// telegramHeader is the first 64 bytes a Telegram client sent to a data
// centre on port 443, from nDPI's test capture telegram_videocall.pcapng
// (tests/cfgs/default/pcap, TCP stream 1): its obfuscated transport's
// header, decrypting to the abridged tag.
const telegramHeader = "f8b9357d01ff6ae4f2e43a80667449b134255576f7b465c944bab1bca416e9ca" +
	"c7d620cf78dffc06dc39da584c9b422bdd5a6a121cd2a4d68d3e5af7a35c2ecc"

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
	// capgen draws headers as a client does, encrypting the tag.
	r := rand.New(rand.NewPCG(1, 2))
	header := func(tag uint32) []byte {
		h, err := capgen.MTProtoHeader(r, tag)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	for _, tag := range mtprotoTags {
		h := header(tag)
		if got := Sniff(h); got != SniffMTProto {
			t.Errorf("header with tag %08x: Sniff = %q, want %q", tag, got, SniffMTProto)
		}
		h[0] = 0xef // a plain abridged transport starts so: the client redraws
		if looksMTProto(h) {
			t.Errorf("tag %08x: a header starting 0xef was taken for the obfuscated transport", tag)
		}
	}
	if h := header(0x12345678); looksMTProto(h) {
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
