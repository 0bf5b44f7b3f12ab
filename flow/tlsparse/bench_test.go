package tlsparse

import (
	"crypto/tls"
	"crypto/x509/pkix"
	"math/big"
	"testing"

	"github.com/tlsentry/tlsentry/flow"
)

// benchFlow captures a realistic flow: a default crypto/tls client (TLS 1.3
// capable, post-quantum key share, SNI, ALPN) and a server limited to
// TLS 1.2 so that its two-certificate RSA chain is in clear.
func benchFlow(b *testing.B) (client, server []byte) {
	testKeys(b)
	ca := makeCert(b, caKey, pkix.Name{Organization: []string{"Bench CA"}, CommonName: "Bench Root"}, big.NewInt(1), nil, nil, nil)
	leaf := makeCert(b, rsaKey, pkix.Name{Country: []string{"US"}, Organization: []string{"Bench"}, CommonName: "bench.example"},
		big.NewInt(0x7fedcba987654321), []string{"bench.example", "www.bench.example"}, nil, ca)
	h := capture(b, &tls.Config{ServerName: "bench.example", NextProtos: []string{"h2", "http/1.1"}, InsecureSkipVerify: true},
		&tls.Config{MaxVersion: tls.VersionTLS12, Certificates: []tls.Certificate{leaf.tls}, NextProtos: []string{"h2"}})
	if h.clientErr != nil || h.serverErr != nil {
		b.Fatal(h.clientErr, h.serverErr)
	}
	return h.client, h.server
}

// BenchmarkParseFlow parses both directions of a TLS 1.2 flow (ClientHello;
// ServerHello, Certificate, ServerKeyExchange, ServerHelloDone) and computes
// JA3, JA3N, JA4 and JA3S:
//
//   - exported: ParseClientHello and ParseServerFlight (private copies of
//     the messages, the leaf certificate parsed), then each fingerprint;
//   - sensor: what a sensor pays per flow (FromFlow, Handshake.Prints)
//     when the server's certificate and both hellos were seen before (a
//     warm CertCache), the common case on a network;
//   - sensor-nocache: the same without a cache: the certificate parsed
//     and the fingerprints rendered every time.
func BenchmarkParseFlow(b *testing.B) {
	client, server := benchFlow(b)
	b.Run("exported", func(b *testing.B) {
		b.SetBytes(int64(len(client) + len(server)))
		b.ReportAllocs()
		for b.Loop() {
			ch, err := ParseClientHello(client)
			if err != nil {
				b.Fatal(err)
			}
			f, err := ParseServerFlight(server)
			if err != nil || f.Leaf == nil {
				b.Fatal(err)
			}
			_, _ = ch.JA3Pair()
			_ = ch.JA4(TransportTCP)
			_ = f.ServerHello.JA3S()
		}
	})
	fl := &flow.Flow{ClientHandshake: client, ServerHandshake: server}
	for _, certs := range []*CertCache{NewCertCache(16), nil} {
		name := "sensor"
		if certs == nil {
			name = "sensor-nocache"
		}
		FromFlow(fl, certs) // warm the cache
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(client) + len(server)))
			b.ReportAllocs()
			for b.Loop() {
				h := FromFlow(fl, certs)
				if h.Server == nil || h.Server.Leaf == nil || h.Prints(TransportTCP).JA3.Hash == "" {
					b.Fatal("no certificate or fingerprints")
				}
			}
		})
	}
}

// The parts of BenchmarkParseFlow, to see where time and allocations go.
func BenchmarkParseParts(b *testing.B) {
	client, server := benchFlow(b)
	ch, _ := ParseClientHello(client)
	f, _ := ParseServerFlight(server)
	b.Run("ClientHello", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ParseClientHello(client)
		}
	})
	b.Run("JA3", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ch.JA3()
		}
	})
	b.Run("JA4", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ch.JA4(TransportTCP)
		}
	})
	b.Run("ServerHelloOnly", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ParseServerHelloMessage(f.ServerHello.Raw)
		}
	})
	b.Run("Certificate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ParseCertificate(f.Chain[0])
		}
	})
}

// BenchmarkPrints: the fingerprints a flow record shows (JA3, JA3N, JA4,
// JA4_r, JA3S), rendered, and looked up in a cache that has seen the
// hellos (what parsing with a CertCache does).
func BenchmarkPrints(b *testing.B) {
	client, server := benchFlow(b)
	h := parseFlow(client, server, nil, nil, nil, false, false)
	ch, sh := h.Client, h.Server.ServerHello
	b.Run("rendered", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			renderClientPrints(ch, TransportTCP)
			sh.JA3S()
		}
	})
	c := newPrintCache(16)
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c.clientEntry(ch, TransportTCP)
			c.serverEntry(sh)
		}
	})
}
