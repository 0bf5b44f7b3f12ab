package quic

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"fmt"
)

// dirKeys protect one direction's Initial packets: AEAD_AES_128_GCM for
// the payload, AES-ECB for header protection (RFC 9001 sections 5.3, 5.4.3).
type dirKeys struct {
	aead cipher.AEAD
	iv   [12]byte
	hp   cipher.Block
}

// keySet holds both directions' Initial keys of one (version, connection
// ID) pair.
type keySet struct {
	version Version
	cid     cid
	client  dirKeys
	server  dirKeys
}

// cid is a connection ID kept by value (no allocation, no aliasing).
type cid struct {
	b  [MaxCIDLen]byte
	n  uint8
	ok bool
}

func (c *cid) set(b []byte) { c.n = uint8(copy(c.b[:], b)); c.ok = true }

func (c *cid) bytes() []byte { return c.b[:c.n] }

func (c *cid) equal(b []byte) bool { return c.ok && string(c.b[:c.n]) == string(b) }

// initialSecrets derives the client and server Initial secrets (RFC 9001
// section 5.2): initial_secret = HKDF-Extract(salt, dcid), then
// HKDF-Expand-Label with "client in" and "server in".
func initialSecrets(p *params, dcid []byte) (client, server [32]byte) {
	initial := hmacSHA256(p.salt[:], dcid) // HKDF-Extract (RFC 5869 section 2.2)
	return expandLabel(&initial, "client in", sha256.Size), expandLabel(&initial, "server in", sha256.Size)
}

// expandLabel returns TLS 1.3's HKDF-Expand-Label(secret, label, "",
// length) (RFC 8446 section 7.1) for length up to 32, in the first length
// bytes: that is one block of HKDF-Expand (RFC 5869 section 2.3), T(1) =
// HMAC(secret, info || 0x01), whose info is the length, "tls13 " + label
// and an empty context, each length-prefixed.
func expandLabel(secret *[32]byte, label string, length int) [32]byte {
	const prefix = "tls13 "
	var info [2 + 1 + len(prefix) + 32 + 1 + 1]byte
	b := append(info[:0], byte(length>>8), byte(length), byte(len(prefix)+len(label)))
	b = append(b, prefix...)
	b = append(b, label...)
	b = append(b, 0, 1) // empty context, then HKDF's block counter
	return hmacSHA256(secret[:], b)
}

// hmacSHA256 is HMAC-SHA256 (RFC 2104) computed on the stack: key setup
// derives a connection's keys with nine of them, and crypto/hmac's
// allocations (a hash state each, its marshalled copies, each Sum) were
// most of a new connection's cost. The keys here are at most 32 bytes and
// the messages at most 64; longer ones are handled as the RFC says, the
// message then costing a streaming hash.
func hmacSHA256(key, msg []byte) [32]byte {
	const block = 64
	if len(key) > block {
		k := sha256.Sum256(key)
		key = k[:]
	}
	var pad [block]byte
	copy(pad[:], key)
	var buf [block + block]byte
	for i, k := range pad {
		buf[i] = k ^ 0x36
	}
	var inner [32]byte
	if len(msg) <= block {
		n := copy(buf[block:], msg)
		inner = sha256.Sum256(buf[:block+n])
	} else {
		h := sha256.New()
		h.Write(buf[:block])
		h.Write(msg)
		h.Sum(inner[:0])
	}
	for i, k := range pad {
		buf[i] = k ^ 0x5c
	}
	copy(buf[block:], inner[:])
	return sha256.Sum256(buf[:block+len(inner)])
}

// packetKeys derives key, iv and hp from a direction's Initial secret with
// the version's labels.
func packetKeys(p *params, secret *[32]byte) (key, iv, hp [32]byte) {
	return expandLabel(secret, p.keyLabel, 16), expandLabel(secret, p.ivLabel, 12), expandLabel(secret, p.hpLabel, 16)
}

// newDirKeys sets up the ciphers of one direction.
func newDirKeys(p *params, secret *[32]byte) (dirKeys, error) {
	var k dirKeys
	key, iv, hp := packetKeys(p, secret)
	block, err := aes.NewCipher(key[:16])
	if err != nil {
		return k, fmt.Errorf("packet key: %w", err)
	}
	if k.aead, err = cipher.NewGCM(block); err != nil {
		return k, fmt.Errorf("packet key: %w", err)
	}
	if k.hp, err = aes.NewCipher(hp[:16]); err != nil {
		return k, fmt.Errorf("header protection key: %w", err)
	}
	copy(k.iv[:], iv[:12])
	return k, nil
}

// newKeySet derives both directions' Initial keys for a version and the
// client's Destination Connection ID.
func newKeySet(v Version, p *params, dcid []byte) (*keySet, error) {
	cs, ss := initialSecrets(p, dcid)
	ks := &keySet{version: v}
	ks.cid.set(dcid)
	var err error
	if ks.client, err = newDirKeys(p, &cs); err != nil {
		return nil, err
	}
	if ks.server, err = newDirKeys(p, &ss); err != nil {
		return nil, err
	}
	return ks, nil
}
