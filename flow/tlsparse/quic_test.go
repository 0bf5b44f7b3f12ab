package tlsparse

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// quicHellos are a ClientHello and a server CRYPTO stream (a
// HelloRetryRequest, then the ServerHello) as QUIC carries them: handshake
// messages without record headers.
func quicHellos() (client, hrr, sh []byte) {
	client = clientHello(VersionTLS12, []uint16{0x1301, 0x1302}, [][]byte{
		extSNI("quic.example"), extALPN("h3"), extVersions(VersionTLS13), extGroups(0x001d), extSigAlgs(0x0403),
		ext(ExtQUICTransportParameters, []byte{1, 2, 0x40, 0x64}),
	})
	hrr = serverHello(VersionTLS12, helloRetryRandom, 0x1301, extVersions2(VersionTLS13), ext(ExtKeyShare, u16b(0x0017)))
	sh = serverHello(VersionTLS12, bytes.Repeat([]byte{7}, 32), 0x1301, extVersions2(VersionTLS13), ext(ExtKeyShare, u16b(0x001d), vec(2, make([]byte, 32))))
	return client, hrr, sh
}

// TestQUICFlow: CRYPTO streams parse as the same hellos their records
// would give over TCP; the flow is "quic", and its fingerprints (cached or
// not) carry JA4's q.
func TestQUICFlow(t *testing.T) {
	ch, hrr, sh := quicHellos()
	certs := NewCertCache(16)
	for _, c := range []*CertCache{nil, certs, certs} {
		h := ParseQUICFlow(ch, append(append([]byte(nil), hrr...), sh...), c)
		tcp := ParseFlow(records(ContentHandshake, ch), records(ContentHandshake, append(append([]byte(nil), hrr...), sh...)), nil, nil, nil)
		if h.ClientErr != nil || h.ServerErr != nil {
			t.Fatalf("errors %v / %v", h.ClientErr, h.ServerErr)
		}
		if h.AppProto != AppQUIC || !h.SpokeTLS() || h.Transport() != TransportQUIC || tcp.Transport() != TransportTCP {
			t.Errorf("app_proto %q, transport %c", h.AppProto, h.Transport())
		}
		if h.Client.ServerName != "quic.example" || h.Client.RecordVersion != 0 || h.Client.Truncated {
			t.Errorf("client %+v", h.Client)
		}
		if h.Server.HelloRetryRequest == nil || h.Server.ServerHello == nil || h.Server.ServerHello.KeyShareGroup != 0x001d || h.Server.Truncated {
			t.Errorf("server flight %+v", h.Server)
		}
		p, want := h.Prints(h.Transport()), tcp.Prints(TransportTCP)
		if !strings.HasPrefix(p.JA4, "q13d0206h3_") || p.JA4[1:] != want.JA4[1:] || p.JA4 != h.Client.JA4(TransportQUIC).JA4 {
			t.Errorf("JA4 %s, over TCP %s", p.JA4, want.JA4)
		}
		if p.JA3 != want.JA3 || p.JA3S != want.JA3S {
			t.Errorf("JA3 %+v JA3S %+v, over TCP %+v %+v", p.JA3, p.JA3S, want.JA3, want.JA3S)
		}
		h.Release()
	}
	if hits, _ := certs.PrintStats(); hits == 0 {
		t.Error("the second parse with a cache found nothing in it")
	}
}

// TestQUICFlowPartial: a cut ClientHello is truncated, a HelloRetryRequest
// alone leaves the flight truncated, a flow without CRYPTO bytes is still
// "quic", and garbage is an error, never a panic.
func TestQUICFlowPartial(t *testing.T) {
	ch, hrr, _ := quicHellos()
	h := ParseQUICFlow(ch[:len(ch)-10], hrr, nil)
	if h.Client == nil || !h.Client.Truncated || !errors.Is(h.ClientErr, ErrTruncated) {
		t.Errorf("cut hello: %+v %v", h.Client, h.ClientErr)
	}
	if h.Server == nil || h.Server.HelloRetryRequest == nil || !h.Server.Truncated || !errors.Is(h.ServerErr, ErrTruncated) {
		t.Errorf("HRR alone: %+v %v", h.Server, h.ServerErr)
	}
	if h := ParseQUICFlow(nil, nil, nil); h.AppProto != AppQUIC || h.SpokeTLS() || h.Transport() != TransportQUIC {
		t.Errorf("empty: %+v", h)
	}
	h = ParseQUICFlow([]byte{2, 0, 0, 1, 0}, []byte{1, 0, 0, 0}, nil)
	if h.Client != nil || !errors.Is(h.ClientErr, ErrNoHello) || h.Server != nil || !errors.Is(h.ServerErr, ErrNoHello) {
		t.Errorf("wrong message types: %+v %v %v", h, h.ClientErr, h.ServerErr)
	}
}

// TestGoogleQUICFlow: a CRYPTO stream of Google QUIC Crypto (a CHLO; the
// server's REJ) is read as that, not as TLS: no hello, no TLS error, the
// CHLO's names kept, and a CHLO that does not parse says why.
func TestGoogleQUICFlow(t *testing.T) {
	chlo := []byte("CHLO\x01\x00\x00\x00SNI\x00\x0b\x00\x00\x00www.example")
	rej := []byte("REJ\x00\x00\x00\x00\x00")
	h := ParseQUICFlow(chlo, rej, nil)
	if h.Client != nil || h.ClientErr != nil || h.Server != nil || h.ServerErr != nil || h.SpokeTLS() || h.AppProto != AppQUIC {
		t.Errorf("read as TLS: %+v", h)
	}
	if h.Google == nil || h.Google.Hello == nil || h.Google.Hello.SNI != "www.example" || h.Google.Err != nil {
		t.Errorf("Google QUIC %+v", h.Google)
	}
	h.Release()
	h = ParseQUICFlow(chlo[:12], nil, nil)
	if h.Google == nil || h.Google.Hello != nil || h.Google.Err == nil || h.ClientErr != nil {
		t.Errorf("cut CHLO: %+v, TLS error %v", h.Google, h.ClientErr)
	}
	h.Release()
	if h = ParseQUICFlow(nil, rej, nil); h.Google == nil || h.Server != nil || h.ServerErr != nil {
		t.Errorf("a REJ alone: Google %+v, TLS %+v %v", h.Google, h.Server, h.ServerErr)
	}
}

// FuzzParseQUICFlow: CRYPTO streams of any content parse without panic,
// with errors that wrap the package's sentinels.
func FuzzParseQUICFlow(f *testing.F) {
	ch, hrr, sh := quicHellos()
	f.Add(ch, append(append([]byte(nil), hrr...), sh...))
	f.Add(ch[:40], sh[:20])
	f.Add([]byte("CHLO\x01\x00\x00\x00SNI\x00\x0b\x00\x00\x00www.example"), []byte("REJ\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, client, server []byte) {
		h := ParseQUICFlow(client, server, nil)
		if h.Google != nil && (h.Client != nil || h.Server != nil || h.ClientErr != nil || h.ServerErr != nil) {
			t.Fatalf("Google QUIC read as TLS too: %+v", h)
		}
		checkErr(t, h.ClientErr)
		checkErr(t, h.ServerErr)
		if h.Client != nil && len(h.Client.Raw) > len(client) {
			t.Fatalf("hello of %d bytes from %d", len(h.Client.Raw), len(client))
		}
		_ = h.Prints(h.Transport())
	})
}
