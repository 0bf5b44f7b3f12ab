package quic

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
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
func initialSecrets(p *params, dcid []byte) (client, server []byte, err error) {
	initial, err := hkdf.Extract(sha256.New, dcid, p.salt[:])
	if err != nil {
		return nil, nil, fmt.Errorf("initial secret: %w", err)
	}
	if client, err = expandLabel(initial, "client in", sha256.Size); err != nil {
		return nil, nil, err
	}
	if server, err = expandLabel(initial, "server in", sha256.Size); err != nil {
		return nil, nil, err
	}
	return client, server, nil
}

// expandLabel is TLS 1.3's HKDF-Expand-Label with an empty context (RFC
// 8446 section 7.1): the info is the output length, "tls13 " + label, and
// an empty context, each length-prefixed.
func expandLabel(secret []byte, label string, length int) ([]byte, error) {
	full := "tls13 " + label
	info := make([]byte, 0, 4+len(full))
	info = append(info, byte(length>>8), byte(length), byte(len(full)))
	info = append(info, full...)
	info = append(info, 0)
	out, err := hkdf.Expand(sha256.New, secret, string(info), length)
	if err != nil {
		return nil, fmt.Errorf("expand label %q: %w", label, err)
	}
	return out, nil
}

// packetKeys derives key, iv and hp from a direction's Initial secret with
// the version's labels.
func packetKeys(p *params, secret []byte) (key, iv, hp []byte, err error) {
	if key, err = expandLabel(secret, p.keyLabel, 16); err != nil {
		return nil, nil, nil, err
	}
	if iv, err = expandLabel(secret, p.ivLabel, 12); err != nil {
		return nil, nil, nil, err
	}
	if hp, err = expandLabel(secret, p.hpLabel, 16); err != nil {
		return nil, nil, nil, err
	}
	return key, iv, hp, nil
}

// newDirKeys sets up the ciphers of one direction.
func newDirKeys(p *params, secret []byte) (dirKeys, error) {
	var k dirKeys
	key, iv, hp, err := packetKeys(p, secret)
	if err != nil {
		return k, err
	}
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
