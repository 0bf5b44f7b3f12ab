package quic

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"sync"
)

// retryTagLen is the length of a Retry packet's integrity tag (RFC 9001
// section 5.8).
const retryTagLen = 16

// maxRetryChecks bounds the Retry tags one Conn verifies: a flood of
// forged Retries is counted, not checked one by one.
const maxRetryChecks = 4

// retryAEADs are the fixed-key AEADs of the Retry integrity tags, built on
// first use (GCM's Seal is safe for concurrent use).
var retryAEADs = map[*retryKey]func() (cipher.AEAD, error){
	&retryV1: sync.OnceValues(func() (cipher.AEAD, error) { return newGCM(retryV1.key[:]) }),
	&retryV2: sync.OnceValues(func() (cipher.AEAD, error) { return newGCM(retryV2.key[:]) }),
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// retryPacket handles a Retry: the client's next Initial uses the Retry's
// Source Connection ID as its Destination Connection ID, and the Initial
// keys change with it (RFC 9001 section 5.2). A client accepts only the
// first Retry, and only with a valid integrity tag.
func (c *Conn) retryPacket(pkt []byte, h *LongHeader, fromClient bool) {
	if fromClient {
		c.client.info.Malformed++
		c.note(errRetryFromCl)
		return
	}
	c.info.Retry++
	if c.retry.ok || c.info.RetryTagInvalid >= maxRetryChecks {
		return
	}
	if p := lookup(h.Version); p.retry != nil && c.odcid.ok && !retryTagValid(p.retry, c.odcid.bytes(), pkt) {
		c.info.RetryTagInvalid++
		return
	}
	c.retry.set(h.SCID)
}

// retryTagValid checks a Retry packet's integrity tag: AES-128-GCM with the
// version's fixed key and nonce over the Retry pseudo-packet (the original
// DCID, length-prefixed, then the Retry without its tag), empty plaintext.
// A tag that cannot be checked counts as valid.
func retryTagValid(k *retryKey, odcid, pkt []byte) bool {
	aead, err := retryAEADs[k]()
	if err != nil {
		return true
	}
	body, tag := pkt[:len(pkt)-retryTagLen], pkt[len(pkt)-retryTagLen:]
	scratch := scratchPool.Get().(*[]byte)
	defer scratchPool.Put(scratch)
	need := 1 + len(odcid) + len(body) + retryTagLen + scratchPkt
	if cap(*scratch) < need {
		*scratch = make([]byte, need)
	}
	buf := (*scratch)[:0]
	buf = append(buf, byte(len(odcid)))
	buf = append(buf, odcid...)
	buf = append(buf, body...)
	nonce := (*scratch)[len(buf) : len(buf)+12]
	copy(nonce, k.nonce[:])
	aad := buf
	got := aead.Seal((*scratch)[len(buf)+12:len(buf)+12], nonce, nil, aad)
	return bytes.Equal(got, tag)
}
