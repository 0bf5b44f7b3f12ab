//go:build linux

package main

import (
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// TestHeartbleedScanLiveInNetns: nmap's ssl-heartbleed script (a real
// scanner: a heartbeat request declaring 16 KiB in a few bytes, sent as
// soon as the server's flight ends, to a server whose hello offers the
// heartbeat extension) probes GnuTLS's gnutls-serv with heartbeats on
// (not vulnerable: it answers with an alert) in another namespace; the
// live daemon alerts with the Heartbleed signature. Neither Go's
// crypto/tls nor OpenSSL 3 offers heartbeats, so without GnuTLS the
// scanner would never send its request.
func TestHeartbleedScanLiveInNetns(t *testing.T) {
	needTools(t, "apt-get install nmap gnutls-bin: the scanner is nmap's ssl-heartbleed script, the heartbeat-capable server GnuTLS's gnutls-serv", "nmap", "gnutls-serv")
	p := netnstest.NewVethPair(t)
	certFile, keyFile := writeServerPEM(t)
	server := netip.AddrPortFrom(p.B.Addr4, 443)
	serve := p.B.NS.Command("gnutls-serv", "--heartbeat", "--echo", "-p", "443", "--x509certfile", certFile, "--x509keyfile", keyFile)
	if err := serve.Start(); err != nil {
		t.Fatalf("gnutls-serv: %v", err)
	}
	t.Cleanup(func() { serve.Process.Kill(); serve.Wait() })
	testkit.WaitFor(t, "gnutls-serv listening", func() bool { return listening(p.A, server) })
	alertPath := startDefaultOn443(t, p)

	if a := nmapAlert(t, p, server, "ssl-heartbleed", alertPath, 8100050); a.Alert.Severity != 1 {
		t.Errorf("severity %d", a.Alert.Severity)
	}
}

// writeServerPEM writes serverCert's certificate and key as PEM files, as
// servers other than Go's read them.
func writeServerPEM(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	cert := serverCert(t)
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for path, block := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: cert.Certificate[0]}, keyFile: {Type: "PRIVATE KEY", Bytes: key}} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile
}

// listening reports whether a TCP connection from l's namespace to addr
// opens (and closes it at once: a connection without payload is no flow
// the detector scores).
func listening(l netnstest.Link, addr netip.AddrPort) bool {
	return l.NS.Do(func() error {
		c, err := net.DialTimeout("tcp", addr.String(), time.Second)
		if err != nil {
			return err
		}
		return c.Close()
	}) == nil
}
