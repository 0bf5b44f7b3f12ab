package quic

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"hash"
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
func initialSecrets(p *params, dcid []byte) (client, server []byte, err error) {
	initial, err := hkdf.Extract(sha256.New, dcid, p.salt[:])
	if err != nil {
		return nil, nil, fmt.Errorf("initial secret: %w", err)
	}
	l := newLabeler(initial)
	return l.expand("client in", sha256.Size), l.expand("server in", sha256.Size), nil
}

// labeler computes TLS 1.3's HKDF-Expand-Label with an empty context (RFC
// 8446 section 7.1) for several labels of one secret, with one HMAC: the
// outputs here are at most one SHA-256 block, so HKDF-Expand (RFC 5869
// section 2.3) is the single block T(1) = HMAC(secret, info || 0x01). One
// HMAC per secret instead of one per label halves the key setup of a
// connection.
type labeler struct{ mac hash.Hash }

func newLabeler(secret []byte) labeler { return labeler{hmac.New(sha256.New, secret)} }

// expand returns HKDF-Expand-Label(secret, label, "", length) for length
// up to 32; the info is the length, "tls13 " + label and an empty
// context, each length-prefixed.
func (l labeler) expand(label string, length int) []byte {
	const prefix = "tls13 "
	var info [2 + 1 + len(prefix) + 32 + 1 + 1]byte
	b := append(info[:0], byte(length>>8), byte(length), byte(len(prefix)+len(label)))
	b = append(b, prefix...)
	b = append(b, label...)
	b = append(b, 0, 1) // empty context, then HKDF's block counter
	l.mac.Reset()
	l.mac.Write(b)
	return l.mac.Sum(nil)[:length]
}

// packetKeys derives key, iv and hp from a direction's Initial secret with
// the version's labels.
func packetKeys(p *params, secret []byte) (key, iv, hp []byte) {
	l := newLabeler(secret)
	return l.expand(p.keyLabel, 16), l.expand(p.ivLabel, 12), l.expand(p.hpLabel, 16)
}

// newDirKeys sets up the ciphers of one direction.
func newDirKeys(p *params, secret []byte) (dirKeys, error) {
	var k dirKeys
	key, iv, hp := packetKeys(p, secret)
	block, err := aes.NewCipher(key)
	if err != nil {
		return k, fmt.Errorf("packet key: %w", err)
	}
	if k.aead, err = cipher.NewGCM(block); err != nil {
		return k, fmt.Errorf("packet key: %w", err)
	}
	if k.hp, err = aes.NewCipher(hp); err != nil {
		return k, fmt.Errorf("header protection key: %w", err)
	}
	copy(k.iv[:], iv)
	return k, nil
}

// newKeySet derives both directions' Initial keys for a version and the
// client's Destination Connection ID.
func newKeySet(v Version, p *params, dcid []byte) (*keySet, error) {
	cs, ss, err := initialSecrets(p, dcid)
	if err != nil {
		return nil, err
	}
	ks := &keySet{version: v}
	ks.cid.set(dcid)
	if ks.client, err = newDirKeys(p, cs); err != nil {
		return nil, err
	}
	if ks.server, err = newDirKeys(p, ss); err != nil {
		return nil, err
	}
	return ks, nil
}
