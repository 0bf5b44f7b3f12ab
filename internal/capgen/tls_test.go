package capgen

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"reflect"
	"testing"
	"testing/cryptotest"
	"time"
)

func testCert(t *testing.T, key KeyType) tls.Certificate {
	t.Helper()
	cert, err := SelfSignedCert(CertOptions{Key: key, CommonName: "test.example", DNSNames: []string{"test.example"}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// firstOf returns the first write of one direction.
func firstOf(conv Conversation, fromClient bool) []byte {
	for _, w := range conv {
		if w.FromClient == fromClient {
			return w.Data
		}
	}
	return nil
}

func TestTLSConversation(t *testing.T) {
	for _, key := range []KeyType{ECDSAP256, RSA2048} {
		cert := testCert(t, key)
		for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			t.Run(tls.VersionName(version), func(t *testing.T) {
				ccfg, scfg := TLSConfigs(cert, "test.example")
				ccfg.MinVersion, ccfg.MaxVersion = version, version
				var state tls.ConnectionState
				ccfg.VerifyConnection = func(cs tls.ConnectionState) error { state = cs; return nil }
				opts := TLSOptions{ClientData: []byte("GET / HTTP/1.1\r\n\r\n"), ServerData: []byte("HTTP/1.1 204 No Content\r\n\r\n")}
				conv, err := TLSConversation(context.Background(), ccfg, scfg, opts)
				if err != nil {
					t.Fatal(err)
				}
				if state.Version != version {
					t.Fatalf("negotiated %s", tls.VersionName(state.Version))
				}
				if !conv[0].FromClient {
					t.Fatal("the server wrote first")
				}
				// A handshake record (0x16) holding a ClientHello (1), then a
				// ServerHello (2) in the server's first write.
				ch, sh := conv[0].Data, firstOf(conv, false)
				if len(ch) < 6 || ch[0] != 0x16 || ch[5] != 1 {
					t.Fatalf("first client write is not a ClientHello: % x", ch[:min(len(ch), 6)])
				}
				if len(sh) < 6 || sh[0] != 0x16 || sh[5] != 2 {
					t.Fatalf("first server write is not a ServerHello: % x", sh[:min(len(sh), 6)])
				}
				if !bytes.Contains(ch, []byte("test.example")) {
					t.Fatal("ClientHello lacks the SNI")
				}
				// The ClientHello is one whole record in one write.
				if n := 5 + (int(ch[3])<<8 | int(ch[4])); n != len(ch) {
					t.Fatalf("ClientHello record %d bytes, write %d", n, len(ch))
				}
				if want := len(ch) + len(sh); len(conv.Prefix(len(ch)+len(sh))) != want {
					t.Fatal("short prefix")
				}
				// Application data is encrypted: the plaintext must not show.
				if bytes.Contains(conv.ClientStream(), opts.ClientData) {
					t.Fatal("plaintext on the wire")
				}
			})
		}
	}
}

// TestTLSConversationOrder: which side writes when must not depend on
// goroutine scheduling.
func TestTLSConversationOrder(t *testing.T) {
	cert := testCert(t, ECDSAP256)
	pattern := func() []bool {
		ccfg, scfg := TLSConfigs(cert, "test.example")
		conv, err := TLSConversation(context.Background(), ccfg, scfg, TLSOptions{ClientData: []byte("ping"), ServerData: []byte("pong")})
		if err != nil {
			t.Fatal(err)
		}
		var p []bool
		for _, w := range conv {
			p = append(p, w.FromClient)
		}
		return p
	}
	want := pattern()
	for range 20 {
		if got := pattern(); !reflect.DeepEqual(got, want) {
			t.Fatalf("write order changed: %v, then %v", want, got)
		}
	}
}

// TestTLSConversationDeterministic: with a fixed global random source the
// whole conversation is byte-identical.
func TestTLSConversationDeterministic(t *testing.T) {
	cert := testCert(t, ECDSAP256)
	run := func() Conversation {
		cryptotest.SetGlobalRandom(t, 42)
		ccfg, scfg := TLSConfigs(cert, "test.example")
		conv, err := TLSConversation(context.Background(), ccfg, scfg, TLSOptions{ClientData: []byte("hello")})
		if err != nil {
			t.Fatal(err)
		}
		return conv
	}
	if a, b := run(), run(); !reflect.DeepEqual(a, b) {
		t.Fatal("same random seed, different conversations")
	}
}

func TestTLSConversationFailure(t *testing.T) {
	cert := testCert(t, ECDSAP256)
	ccfg, scfg := TLSConfigs(cert, "test.example")
	ccfg.MinVersion = tls.VersionTLS13
	scfg.MaxVersion = tls.VersionTLS12
	conv, err := TLSConversation(context.Background(), ccfg, scfg, TLSOptions{})
	if err == nil {
		t.Fatal("version mismatch succeeded")
	}
	if len(conv) < 2 || !conv[0].FromClient || conv[0].Data[5] != 1 {
		t.Fatalf("want a ClientHello and an answer, got %d writes", len(conv))
	}
	if last := firstOf(conv, false); last[0] != 0x15 {
		t.Fatalf("server answered record type %#x, want an alert", last[0])
	}

	if _, err := TLSConversation(context.Background(), nil, scfg, TLSOptions{}); err == nil {
		t.Fatal("nil config accepted")
	}

	// A server certificate for another name fails on the client side.
	ccfg, scfg = TLSConfigs(cert, "other.example")
	if _, err := TLSConversation(context.Background(), ccfg, scfg, TLSOptions{}); err == nil {
		t.Fatal("wrong server name accepted")
	}
}

func TestTLSConversationCanceled(t *testing.T) {
	cert := testCert(t, ECDSAP256)
	ccfg, scfg := TLSConfigs(cert, "test.example")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error, 1)
	go func() {
		_, err := TLSConversation(ctx, ccfg, scfg, TLSOptions{})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("canceled conversation hangs")
	}
}

func TestTurnPipeStall(t *testing.T) {
	// Both sides read first: an immediate error, not a hang.
	p := newTurnPipe()
	errs := make(chan error, 2)
	for side := range 2 {
		go func() {
			_, err := (&pipeEnd{p: p, side: side}).Read(make([]byte, 1))
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != errStalled {
			t.Fatalf("got %v, want errStalled", err)
		}
	}
}

func TestSelfSignedCert(t *testing.T) {
	for _, key := range []KeyType{ECDSAP256, RSA2048} {
		opts := CertOptions{Key: key, CommonName: "a.example", DNSNames: []string{"a.example", "b.example"},
			IPs: []net.IP{net.ParseIP("192.0.2.1")}, Seed: 9}
		a, err := SelfSignedCert(opts)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := SelfSignedCert(opts)
		if !bytes.Equal(a.Certificate[0], b.Certificate[0]) {
			t.Fatalf("key %d: same options, different certificates", key)
		}
		opts.Seed = 10
		c, _ := SelfSignedCert(opts)
		if bytes.Equal(a.Certificate[0], c.Certificate[0]) {
			t.Fatalf("key %d: different seeds, same certificate", key)
		}
		leaf := a.Leaf
		if leaf.Subject.CommonName != "a.example" || len(leaf.DNSNames) != 2 || !leaf.IPAddresses[0].Equal(net.ParseIP("192.0.2.1")) {
			t.Fatalf("key %d: fields %v %v %v", key, leaf.Subject, leaf.DNSNames, leaf.IPAddresses)
		}
		if err := leaf.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature); err != nil {
			t.Fatalf("key %d: %v", key, err)
		}
		if !leaf.NotBefore.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) || !leaf.NotAfter.Equal(leaf.NotBefore.AddDate(1, 0, 0)) {
			t.Fatalf("key %d: validity %v..%v", key, leaf.NotBefore, leaf.NotAfter)
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: certPool(leaf), DNSName: "b.example", CurrentTime: leaf.NotBefore.Add(time.Hour)}); err != nil {
			t.Fatalf("key %d: %v", key, err)
		}
	}
	if _, err := SelfSignedCert(CertOptions{Key: KeyType(7)}); err == nil {
		t.Fatal("unknown key type accepted")
	}
}

func certPool(c *x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c)
	return p
}
