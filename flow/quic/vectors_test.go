package quic

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// The RFC 9001 (v1) and RFC 9369 (v2) Appendix A examples, checked step by
// step: secrets, keys, header protection, the client and server Initials,
// the Retry.
var rfcCases = []struct {
	name    string
	version Version
}{
	{"rfc9001", Version1},
	{"rfc9369", Version2},
}

func TestInitialKeysRFC(t *testing.T) {
	for _, tc := range rfcCases {
		t.Run(tc.name, func(t *testing.T) {
			vec := vectors(t, tc.name)
			p := lookup(tc.version)
			initial := hmacSHA256(p.salt[:], rfcDCID)
			equalHex(t, "initial_secret", initial[:], vec["initial_secret"])
			cs, ss := initialSecrets(p, rfcDCID)
			for side, secret := range map[string]*[32]byte{"client": &cs, "server": &ss} {
				equalHex(t, side+"_secret", secret[:], vec[side+"_secret"])
				key, iv, hp := packetKeys(p, secret)
				equalHex(t, side+"_key", key[:16], vec[side+"_key"])
				equalHex(t, side+"_iv", iv[:12], vec[side+"_iv"])
				equalHex(t, side+"_hp", hp[:16], vec[side+"_hp"])
			}
		})
	}
}

// TestHMAC: the stack HMAC-SHA256 equals crypto/hmac's for keys and
// messages on both sides of the block size.
func TestHMAC(t *testing.T) {
	for _, kn := range []int{0, 1, 20, 32, 63, 64, 65, 200} {
		for _, mn := range []int{0, 1, 20, 50, 64, 65, 300} {
			key, msg := bytes.Repeat([]byte{byte(kn)}, kn), bytes.Repeat([]byte{byte(mn + 1)}, mn)
			m := hmac.New(sha256.New, key)
			m.Write(msg)
			if got := hmacSHA256(key, msg); !bytes.Equal(got[:], m.Sum(nil)) {
				t.Errorf("key %d bytes, message %d bytes: %x, want %x", kn, mn, got, m.Sum(nil))
			}
		}
	}
}

func TestHeaderProtectionRFC(t *testing.T) {
	for _, tc := range rfcCases {
		for _, side := range []string{"client", "server"} {
			t.Run(tc.name+"/"+side, func(t *testing.T) {
				vec := vectors(t, tc.name)
				ks, err := newKeySet(tc.version, lookup(tc.version), rfcDCID)
				if err != nil {
					t.Fatal(err)
				}
				k := &ks.client
				if side == "server" {
					k = &ks.server
				}
				var mask [16]byte
				k.hp.Encrypt(mask[:], vec[side+"_sample"])
				equalHex(t, "mask", mask[:5], vec[side+"_mask"])

				pkt := vec[side+"_packet"]
				h, err := ParseLongHeader(pkt)
				if err != nil {
					t.Fatal(err)
				}
				if h.Type != PacketInitial || h.Version != tc.version || h.Len != len(pkt) {
					t.Fatalf("header = %+v, want a whole %v Initial", h, tc.version)
				}
				want := vec[side+"_protected_header"]
				if !bytes.Equal(pkt[:len(want)], want) {
					t.Fatalf("packet does not start with the protected header")
				}
				scratch := new([]byte)
				o, err := k.open(scratch, pkt, h.PNOffset, 0)
				if err != nil {
					t.Fatal(err)
				}
				unprotected := vec[side+"_header"]
				equalHex(t, "unprotected header", (*scratch)[scratchPkt:scratchPkt+len(unprotected)], unprotected)
				wantPN := map[string]uint64{"client": 2, "server": 1}[side]
				if o.pn != wantPN {
					t.Errorf("packet number = %d, want %d", o.pn, wantPN)
				}
			})
		}
	}
}

// The sample Initials through a Conn: the client's CRYPTO frame, then the
// server's ACK and ServerHello, and a Retry.
func TestConnRFC(t *testing.T) {
	for _, tc := range rfcCases {
		t.Run(tc.name, func(t *testing.T) {
			vec := vectors(t, tc.name)
			c := NewConn(0)
			c.Datagram(vec["client_packet"], true)

			frame := vec["client_crypto_frame"] // 06 00 40f1 + 241 bytes
			if got := c.ClientCrypto(); !bytes.Equal(got, frame[4:]) {
				t.Fatalf("client crypto = %x\nwant %x", got, frame[4:])
			}
			if !c.ClientHelloDone() {
				t.Error("ClientHelloDone = false")
			}

			c.Datagram(vec["server_packet"], false)
			payload := vec["server_payload"] // ACK (5 bytes), then 06 00 405a + 90 bytes
			if got, want := c.ServerCrypto(), payload[9:]; !bytes.Equal(got, want) {
				t.Fatalf("server crypto = %x\nwant %x", got, want)
			}
			if !c.ServerHelloDone() {
				t.Error("ServerHelloDone = false")
			}

			info := c.Info()
			want := Info{Version: tc.version, DCIDLen: 8, SCIDLen: 0}
			want.Client = SideInfo{Initials: 1, Decrypted: 1, CryptoBytes: 241}
			want.Server = SideInfo{Initials: 1, Decrypted: 1, Acks: 1, CryptoBytes: 90}
			if info != want {
				t.Errorf("info = %+v\nwant %+v", info, want)
			}

			// The Retry's tag covers the client's original DCID.
			retry := vec["retry_packet"]
			c.Datagram(retry, false)
			if info := c.Info(); info.Retry != 1 || info.RetryTagInvalid != 0 {
				t.Errorf("after the RFC Retry: retry %d, invalid %d; want 1, 0", info.Retry, info.RetryTagInvalid)
			}
			forged := append([]byte(nil), retry...)
			forged[len(forged)-20] ^= 1 // a token byte
			c2 := NewConn(0)
			c2.Datagram(vec["client_packet"], true)
			c2.Datagram(forged, false)
			if info := c2.Info(); info.Retry != 1 || info.RetryTagInvalid != 1 {
				t.Errorf("after a forged Retry: retry %d, invalid %d; want 1, 1", info.Retry, info.RetryTagInvalid)
			}
		})
	}
}

// The test helper that builds packets reproduces the RFC's protected client
// Initial byte for byte, so packets it builds elsewhere are real ones.
func TestProtectHelperRFC(t *testing.T) {
	for _, tc := range rfcCases {
		t.Run(tc.name, func(t *testing.T) {
			vec := vectors(t, tc.name)
			hdr := vec["client_header"]
			frames := padTo(append([]byte(nil), vec["client_crypto_frame"]...), 1162)
			got := protect(t, tc.version, rfcDCID, false, hdr, len(hdr)-4, frames)
			if !bytes.Equal(got, vec["client_packet"]) {
				t.Fatalf("protected packet differs from the RFC's")
			}
		})
	}
}

func equalHex(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: no expected value", what)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s = %s, want %s", what, hex.EncodeToString(got), hex.EncodeToString(want))
	}
}
