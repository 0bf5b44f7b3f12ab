package mask

import (
	"bytes"
	"context"
	"crypto/tls"
	"testing"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/labset"
)

func TestApplyZeroesRandomFields(t *testing.T) {
	flows, err := labset.Flows(context.Background(), labset.Benign, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range flows {
		h := tlsparse.FromFlow(f, nil)
		got := Apply(nil, f.Prefix, h)
		if len(got) != len(f.Prefix) {
			t.Fatalf("length %d, want %d", len(got), len(f.Prefix))
		}
		if bytes.Contains(got, h.Client.Random) || bytes.Contains(got, h.Server.ServerHello.Random) {
			t.Error("a random survived")
		}
		if len(h.Client.SessionID) >= minField && bytes.Contains(got, h.Client.SessionID) {
			t.Error("the session id survived")
		}
		// Everything else is untouched: the record and hello headers,
		// versions, cipher suites.
		if !bytes.Equal(got[:11], f.Prefix[:11]) {
			t.Errorf("header changed: % x", got[:11])
		}
		changed := 0
		for i := range got {
			if got[i] != f.Prefix[i] {
				changed++
			}
		}
		if changed < 64 || changed > 64+2*32+2*1300 {
			t.Errorf("%d bytes changed", changed)
		}
		if bytes.Equal(Apply(nil, f.Prefix, nil), got) {
			t.Error("no handshake, yet masked")
		}
	}
}

func TestCutField(t *testing.T) {
	field := bytes.Repeat([]byte{0xab}, 40)
	field[0] = 1
	prefix := append([]byte("hello, world"), field[:20]...)
	got := Apply(nil, prefix, &tlsparse.Handshake{Client: &tlsparse.ClientHello{Random: field}})
	if !bytes.Equal(got[:12], []byte("hello, world")) || !bytes.Equal(got[12:], make([]byte, 20)) {
		t.Errorf("% x", got)
	}
}

func FuzzApply(f *testing.F) {
	f.Add([]byte("\x16\x03\x01\x00\x30\x01\x00\x00\x2c\x03\x03"), []byte("0123456789abcdef"))
	f.Fuzz(func(t *testing.T, hs, prefix []byte) {
		fl := &flow.Flow{ClientHandshake: hs, Prefix: prefix}
		got := Apply(nil, prefix, tlsparse.FromFlow(fl, nil))
		if len(got) != len(prefix) {
			t.Fatalf("length %d, want %d", len(got), len(prefix))
		}
	})
}

// TestResumedSessionOffersMasked: a resumed session's hello carries what
// the server sealed for it (a TLS 1.2 session ticket; a TLS 1.3
// pre_shared_key identity with its obfuscated age, and a binder): bytes
// new on every connection, zeroed like the randoms.
func TestResumedSessionOffersMasked(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		cert, err := capgen.SelfSignedCert(capgen.CertOptions{Key: capgen.ECDSAP256, CommonName: "resume.test", DNSNames: []string{"resume.test"}, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		c, s := capgen.TLSConfigs(cert, "resume.test")
		c.MaxVersion, c.ClientSessionCache = v, tls.NewLRUClientSessionCache(4)
		var convs []capgen.Conversation
		for range 2 {
			conv, err := capgen.TLSConversation(context.Background(), c, s, capgen.TLSOptions{ClientData: []byte("ping"), ServerData: []byte("pong")})
			if err != nil {
				t.Fatal(err)
			}
			convs = append(convs, conv)
		}
		flows, err := labset.FlowsOf("resume", convs, 1)
		if err != nil {
			t.Fatal(err)
		}
		f := flows[1]
		h := tlsparse.FromFlow(f, nil)
		var offers [][]byte
		for _, e := range h.Client.Extensions {
			if e.Type == tlsparse.ExtSessionTicket && len(e.Data) > 0 || e.Type == tlsparse.ExtPreSharedKey {
				offers = append(offers, e.Data)
			}
		}
		if len(offers) == 0 {
			t.Fatalf("TLS %x: the second hello offers no session", v)
		}
		got := Apply(nil, f.Prefix, h)
		for _, o := range offers {
			// Whatever 8 bytes of the offer past its lengths survive
			// would be the ticket's, the age's or the binder's.
			for i := 2; i+minField <= len(o); i++ {
				if bytes.Contains(got, o[i:i+minField]) && !bytes.Equal(o[i:i+minField], make([]byte, minField)) && !lengthBytes(o, i) {
					t.Fatalf("TLS %x: offer bytes %d-%d survived: % x", v, i, i+minField, o[i:i+minField])
				}
			}
		}
	}
}

// lengthBytes reports whether o[i:i+minField] takes in one of a PSK
// offer's length fields (identities' and binders' lengths, not random):
// only windows wholly inside the sealed or HMAC bytes must be gone.
func lengthBytes(o []byte, i int) bool {
	if len(o) < 2 {
		return false
	}
	n := int(o[0])<<8 | int(o[1])
	for _, at := range []int{0, 2, 2 + n, 2 + n + 2} {
		if at >= i && at < i+minField {
			return true
		}
	}
	return false
}
