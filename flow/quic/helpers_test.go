package quic

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// vectors reads testdata/NAME-appendix-a.txt: "name hex" lines.
func vectors(tb testing.TB, name string) map[string][]byte {
	tb.Helper()
	out := map[string][]byte{}
	hexLines(tb, name+"-appendix-a.txt", func(k string, b []byte) { out[k] = b })
	return out
}

// hexLines calls fn with the key and the bytes of each "key hex" line of
// testdata/file, in order; empty lines and lines starting with "#" are
// comments.
func hexLines(tb testing.TB, file string, fn func(key string, b []byte)) {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", file))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, " ")
		if !ok {
			tb.Fatalf("%s: bad line %q", file, line)
		}
		b, err := hex.DecodeString(v)
		if err != nil {
			tb.Fatalf("%s %s: %v", file, k, err)
		}
		fn(k, b)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
}

// rfcDCID is the client's DCID of the RFC 9001 and 9369 examples.
var rfcDCID = []byte{0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08}

// protect seals an unprotected Initial (header ending with the packet
// number at pnOffset, then the plaintext frames) with the Initial keys of
// version v and keyCID, and applies header protection: what a QUIC sender
// does, for building test packets.
func protect(tb testing.TB, v Version, keyCID []byte, server bool, header []byte, pnOffset int, frames []byte) []byte {
	tb.Helper()
	p := lookup(v)
	ks, err := newKeySet(v, p, keyCID)
	if err != nil {
		tb.Fatal(err)
	}
	k := &ks.client
	if server {
		k = &ks.server
	}
	pnLen := int(header[0]&3) + 1
	var pn uint64
	for _, c := range header[pnOffset : pnOffset+pnLen] {
		pn = pn<<8 | uint64(c)
	}
	nonce := k.iv
	binary.BigEndian.PutUint64(nonce[4:], binary.BigEndian.Uint64(nonce[4:])^pn)
	pkt := append([]byte(nil), header...)
	pkt = k.aead.Seal(pkt, nonce[:], frames, header)
	var mask [16]byte
	k.hp.Encrypt(mask[:], pkt[pnOffset+4:pnOffset+20])
	pkt[0] ^= mask[0] & 0x0f
	for i := range pnLen {
		pkt[pnOffset+i] ^= mask[1+i]
	}
	return pkt
}

// initialPacket builds a protected Initial of version v (v1 type bits
// unless v2): dcid, scid, an empty token, a 2-byte length, a pnLen-byte
// packet number, and the frames; keys from keyCID (the client's original
// DCID).
func initialPacket(tb testing.TB, v Version, keyCID, dcid, scid []byte, server bool, pn uint64, pnLen int, frames []byte) []byte {
	tb.Helper()
	typeBits := byte(0)
	if v == Version2 {
		typeBits = 1
	}
	h := []byte{0xc0 | typeBits<<4 | byte(pnLen-1)}
	h = binary.BigEndian.AppendUint32(h, uint32(v))
	h = append(h, byte(len(dcid)))
	h = append(h, dcid...)
	h = append(h, byte(len(scid)))
	h = append(h, scid...)
	h = append(h, 0) // token length: none
	length := pnLen + len(frames) + 16
	h = append(h, 0x40|byte(length>>8), byte(length))
	pnOffset := len(h)
	for i := pnLen - 1; i >= 0; i-- {
		h = append(h, byte(pn>>(8*i)))
	}
	return protect(tb, v, keyCID, server, h, pnOffset, frames)
}

// cryptoFrame encodes a CRYPTO frame (IETF encoding, 4-byte varints).
func cryptoFrame(off uint64, data []byte) []byte {
	b := []byte{0x06}
	b = binary.BigEndian.AppendUint32(b, uint32(off)|0x80<<24)
	b = binary.BigEndian.AppendUint32(b, uint32(len(data))|0x80<<24)
	return append(b, data...)
}

// padTo appends PADDING frames up to n bytes.
func padTo(b []byte, n int) []byte {
	for len(b) < n {
		b = append(b, 0)
	}
	return b
}
