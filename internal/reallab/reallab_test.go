package reallab

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testPKI writes a CA-signed RSA leaf for localhost and 127.0.0.1 and
// returns the certificate and key files and a pool trusting the CA.
func testPKI(t *testing.T) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certPEM := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})...)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	roots = x509.NewCertPool()
	roots.AddCert(ca)
	return certFile, keyFile, roots
}

// startServer runs a Server on a free loopback port until the test ends.
func startServer(t *testing.T, o ServerOptions) (*Server, int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := new(Server)
	ready := make(chan int, 1)
	done := make(chan error, 1)
	o.Addrs = []string{"127.0.0.1:0"}
	o.Ready = func(a []net.Addr) { ready <- a[0].(*net.TCPAddr).Port }
	go func() { done <- s.Serve(ctx, o) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	select {
	case port := <-ready:
		return s, port
	case err := <-done:
		t.Fatalf("Serve: %v", err)
	}
	return nil, 0
}

// Each profile makes one connection per URL and gets the TLS version,
// HTTP version and SNI it was built for.
func TestProfilesAgainstServer(t *testing.T) {
	certFile, keyFile, roots := testPKI(t)
	want := map[string]string{
		"default":   "TLS 1.3 HTTP/2.0 sni=true",
		"tls12":     "TLS 1.2 HTTP/1.1 sni=true",
		"h2":        "TLS 1.3 HTTP/2.0 sni=true",
		"curves":    "TLS 1.3 HTTP/1.1 sni=true",
		"tls10":     "TLS 1.0 HTTP/1.1 sni=true",
		"odd-nosni": "TLS 1.2 HTTP/1.1 sni=false",
		"insecure":  "TLS 1.3 HTTP/2.0 sni=true",
	}
	if len(want) != len(Profiles()) {
		t.Fatalf("test covers %d profiles, there are %d", len(want), len(Profiles()))
	}
	for _, p := range Profiles() {
		t.Run(p.Name, func(t *testing.T) {
			srv, port := startServer(t, ServerOptions{CertFile: certFile, KeyFile: keyFile, MinTLS10: p.Name == "tls10"})
			host := "localhost"
			if p.Name == "odd-nosni" {
				host = "127.0.0.1" // no SNI for an address
			}
			const n = 3
			urls := make([]string, n)
			for i := range urls {
				urls[i] = fmt.Sprintf("https://%s:%d/page/%d", host, port, i)
			}
			o := ClientOptions{Roots: roots, Timeout: 5 * time.Second}
			if !p.Benign && p.Name != "tls10" {
				o.Roots = x509.NewCertPool() // must not need the CA
			}
			r, err := p.Browse(context.Background(), urls, o)
			if err != nil || r.OK != n {
				t.Fatalf("Browse: %+v, %v", r, err)
			}
			if got := srv.Conns(); got != n {
				t.Errorf("%d connections for %d requests, want one each", got, n)
			}
			seen := srv.Seen()
			if seen[want[p.Name]] != n {
				t.Errorf("server saw %v, want %d × %q", seen, n, want[p.Name])
			}
		})
	}
}

// A client that must verify fails against a CA it does not trust, and
// the failure is counted rather than returned.
func TestBrowseCountsFailures(t *testing.T) {
	certFile, keyFile, _ := testPKI(t)
	_, port := startServer(t, ServerOptions{CertFile: certFile, KeyFile: keyFile})
	p, err := Lookup("default")
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("https://localhost:%d/", port)
	r, err := p.Browse(context.Background(), []string{url, url}, ClientOptions{Roots: x509.NewCertPool(), Timeout: 5 * time.Second})
	if err != nil || r.Failed != 2 || r.OK != 0 || r.FirstErr == nil {
		t.Fatalf("Browse = %+v, %v; want 2 failures", r, err)
	}
}

func TestMaxTLS12Server(t *testing.T) {
	certFile, keyFile, roots := testPKI(t)
	srv, port := startServer(t, ServerOptions{CertFile: certFile, KeyFile: keyFile, MaxTLS12: true})
	p, _ := Lookup("curves")
	r, err := p.Browse(context.Background(), []string{fmt.Sprintf("https://localhost:%d/x", port)}, ClientOptions{Roots: roots})
	if err != nil || r.OK != 1 {
		t.Fatalf("Browse: %+v, %v", r, err)
	}
	if got := srv.Seen()["TLS 1.2 HTTP/1.1 sni=true"]; got != 1 {
		t.Errorf("server saw %v, want TLS 1.2", srv.Seen())
	}
}

func TestLookupUnknown(t *testing.T) {
	if _, err := Lookup("nope"); err == nil {
		t.Fatal("Lookup of an unknown profile succeeded")
	}
}

func TestServeNeedsAddress(t *testing.T) {
	if err := new(Server).Serve(context.Background(), ServerOptions{}); err == nil {
		t.Fatal("Serve without an address succeeded")
	}
}
