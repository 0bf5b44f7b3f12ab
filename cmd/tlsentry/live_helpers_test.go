//go:build linux

package main

import (
	"bufio"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

const (
	sshServerBanner = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"
	sshClientBanner = "SSH-2.0-OpenSSH_9.6\r\n"
)

// liveServers runs, in l's namespace, a crypto/tls server on l's IPv4
// address and an SSH-speaking TCP server on its IPv6 address, both on
// port 443. The TLS server reads "hello", answers "world" and closes;
// the SSH server sends its banner and reads until the client closes.
func liveServers(t *testing.T, l netnstest.Link, cfg *tls.Config) (tlsAddr, sshAddr netip.AddrPort) {
	t.Helper()
	tlsAddr = testkit.ServeTLS(t, l, netip.AddrPortFrom(l.Addr4, 443), cfg, nil)
	sshAddr = testkit.ServeTCP(t, l, netip.AddrPortFrom(l.Addr6, 443), func(c net.Conn) {
		c.Write([]byte(sshServerBanner))
		io.Copy(io.Discard, c)
	})
	return tlsAddr, sshAddr
}

// tlsClientConfig trusts cert for the names under tlsentry.test and
// offers h2, as a browser-like Go client does.
func tlsClientConfig(t *testing.T, cert tls.Certificate, serverName string) *tls.Config {
	t.Helper()
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return &tls.Config{RootCAs: roots, ServerName: serverName, NextProtos: []string{"h2", "http/1.1"}}
}

// dialTLSFrom makes one TLS connection from l's namespace: handshake,
// "hello", "world", close. It returns the client's port.
func dialTLSFrom(l netnstest.Link, addr netip.AddrPort, cfg *tls.Config) (uint16, error) {
	local, err := testkit.DialTLS(l, addr, cfg)
	return local.Port(), err
}

// dialSSHFrom connects from l's namespace to the SSH server on 443,
// reads its banner and sends a client banner and key exchange-sized
// random bytes. With keepOpen the connection is returned open (the
// caller closes it), else it is closed. It returns the client's port.
func dialSSHFrom(l netnstest.Link, addr netip.AddrPort, keepOpen bool) (uint16, net.Conn, error) {
	var (
		port uint16
		conn net.Conn
	)
	err := l.NS.Do(func() error {
		c, err := net.DialTimeout("tcp", addr.String(), 5*time.Second)
		if err != nil {
			return err
		}
		port = c.LocalAddr().(*net.TCPAddr).AddrPort().Port()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		banner, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || banner != sshServerBanner {
			c.Close()
			return fmt.Errorf("server banner %q: %v", banner, err)
		}
		msg := []byte(sshClientBanner)
		if !keepOpen {
			kex := make([]byte, 700)
			rand.Read(kex)
			msg = append(msg, kex...)
		}
		if _, err := c.Write(msg); err != nil {
			c.Close()
			return err
		}
		if keepOpen {
			conn = c
			return nil
		}
		return c.Close()
	})
	return port, conn, err
}

// scrape reads one metric's value from the daemon's endpoint in l's
// namespace; a metric not exported yet reads 0. The connection is made
// on Do's thread (an http.Client would dial from another goroutine,
// outside the namespace).
func scrape(l netnstest.Link, addr, metric string) (float64, error) {
	var body []byte
	err := l.NS.Do(func() error {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(c, "GET /metrics HTTP/1.0\r\nHost: "+addr+"\r\n\r\n"); err != nil {
			return err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, err = io.ReadAll(resp.Body)
		return err
	})
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, metric+" "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	return 0, nil
}

// serverCert is the TLS server's certificate: ECDSA, as the labset
// servers the test model learnt from.
func serverCert(t *testing.T) tls.Certificate {
	t.Helper()
	cert, err := capgen.SelfSignedCert(capgen.CertOptions{Key: capgen.ECDSAP256, CommonName: "www.tlsentry.test",
		DNSNames:  []string{"www.tlsentry.test", "allowed.tlsentry.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// freePort returns a TCP port nothing listens on in l's namespace.
func freePort(t *testing.T, l netnstest.Link) int {
	t.Helper()
	var port int
	if err := l.NS.Do(func() error {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		port = ln.Addr().(*net.TCPAddr).Port
		return ln.Close()
	}); err != nil {
		t.Fatal(err)
	}
	return port
}

var errNotifyTimeout = errors.New("no notification")

// dialFrom connects to addr over TCP from l's namespace; the connection
// closes when the test ends.
func dialFrom(t *testing.T, l netnstest.Link, addr netip.AddrPort) net.Conn {
	t.Helper()
	var c net.Conn
	if err := l.NS.Do(func() (err error) {
		c, err = net.DialTimeout("tcp", addr.String(), 5*time.Second)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// startDefaultOn443 starts the live daemon capturing p's veth-a, port 443
// only, with the embedded default model at its own threshold, and
// returns the path of its alert log.
func startDefaultOn443(t *testing.T, p *netnstest.Pair) string {
	t.Helper()
	return startDefaultOn(t, p, "[443]")
}

// startDefaultOn is startDefaultOn443 watching the ports of a YAML list.
func startDefaultOn(t *testing.T, p *netnstest.Pair, ports string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := writeConfig(t, dir, map[string]string{
		"capture":  "  interfaces: [veth-a]\n  ports: " + ports + "\n  workers: 1\n  ring_size_mb: 4\n  block_size_kb: 32\n",
		"detector": "  batch_timeout: 10ms\n",
		"metrics":  fmt.Sprintf("  listen: 127.0.0.1:%d\n", freePort(t, p.A)),
	})
	logPath := filepath.Join(dir, "tlsentry.log")
	startNotifiedDaemon(t, p.A.NS, dir, cfg, logPath)
	return filepath.Join(dir, "alerts.json")
}

// firstAlertFrom waits up to 30 s for the first alert record of the
// connection from client port srcPort in the alert log at path, and fails
// the test, naming what, when none comes.
func firstAlertFrom(t *testing.T, path string, srcPort uint16, what string) testkit.EveLine {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range testkit.ReadEve(t, path) {
			if l.EventType == "alert" && l.SrcPort == srcPort {
				return l
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no alert in 30 s on %s", what)
	return testkit.EveLine{}
}
