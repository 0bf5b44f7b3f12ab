package quic

import (
	"encoding/binary"
	"sync"
)

// Layout of the scratch buffer open works in: the header protection mask,
// the nonce, then a copy of the packet that is unprotected and decrypted in
// place. Keeping the mask and nonce in the pooled buffer rather than on the
// stack stops them escaping through the cipher interfaces, so a packet
// costs no allocation.
const (
	scratchMask  = 0
	scratchNonce = 16
	scratchPkt   = 32
)

// scratchPool holds the buffers Initial packets are decrypted in, shared by
// all Conns: a Conn keeps none between datagrams.
var scratchPool = sync.Pool{New: func() any {
	b := make([]byte, scratchPkt+1500)
	return &b
}}

// opened is a decrypted Initial packet.
type opened struct {
	payload []byte // the frames, aliasing the scratch buffer
	pn      uint64
	first   byte // first byte without header protection
}

// open removes header protection from pkt (one whole packet whose packet
// number starts at pnOffset) and decrypts it (RFC 9001 sections 5.3, 5.4).
// expected is one more than the largest packet number opened so far in
// this direction, for packet number decoding. pkt is not modified; the result
// aliases *scratch, which open grows when needed.
func (k *dirKeys) open(scratch *[]byte, pkt []byte, pnOffset int, expected uint64) (opened, error) {
	var o opened
	// The sample starts 4 bytes after the packet number's start, whatever
	// its real length, and is 16 bytes long (RFC 9001 section 5.4.2).
	if pnOffset+4+16 > len(pkt) {
		return o, errSampleShort
	}
	if need := scratchPkt + len(pkt); cap(*scratch) < need {
		*scratch = make([]byte, need)
	}
	buf := (*scratch)[:scratchPkt+len(pkt)]
	mask := buf[scratchMask : scratchMask+16]
	k.hp.Encrypt(mask, pkt[pnOffset+4:pnOffset+20])

	work := buf[scratchPkt:]
	copy(work, pkt)
	o.first = pkt[0] ^ mask[0]&0x0f
	work[0] = o.first
	pnLen := int(o.first&3) + 1
	var truncated uint64
	for i := range pnLen {
		work[pnOffset+i] ^= mask[1+i]
		truncated = truncated<<8 | uint64(work[pnOffset+i])
	}
	o.pn = decodePacketNumber(expected, truncated, pnLen*8)

	nonce := buf[scratchNonce : scratchNonce+12]
	copy(nonce, k.iv[:])
	binary.BigEndian.PutUint64(nonce[4:], binary.BigEndian.Uint64(nonce[4:])^o.pn)

	hdrLen := pnOffset + pnLen
	ct := work[hdrLen:]
	plain, err := k.aead.Open(ct[:0], nonce, ct, work[:hdrLen])
	if err != nil {
		return o, errAEAD
	}
	o.payload = plain
	return o, nil
}

// decodePacketNumber recovers a full packet number from its truncated
// encoding (RFC 9000 appendix A.3); expected is the largest packet number
// received plus one.
func decodePacketNumber(expected, truncated uint64, bits int) uint64 {
	win := uint64(1) << bits
	hwin := win / 2
	mask := win - 1
	candidate := expected&^mask | truncated
	switch {
	case candidate+hwin <= expected && candidate < 1<<62-win:
		return candidate + win
	case candidate > expected+hwin && candidate >= win:
		return candidate - win
	}
	return candidate
}
