//go:build linux

package main

import (
	"crypto/tls"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// TestMalformedHelloInNetns: a client sends a Go ClientHello whose cipher
// suites length runs past the message to a real Go TLS server on 443 (it
// answers with an alert), and holds the connection open. No other fact
// is odd, yet the live daemon, with the embedded default model at its own
// threshold, alerts on it: a breach of TLS the benign corpus never
// showed decides on its own, and the reason says so.
func TestMalformedHelloInNetns(t *testing.T) {
	p := netnstest.NewVethPair(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{serverCert(t)}}
	server := testkit.ServeTLS(t, p.B, netip.AddrPortFrom(p.B.Addr4, 443), cfg, nil)
	alertPath := startDefaultOn443(t, p)

	hello := goClientHello(t, "www.tlsentry.test")
	// record (5) + handshake header (4) + version (2) + random (32), then
	// the session id (its length and bytes), then the suites' length.
	at := 5 + 4 + 2 + 32
	at += 1 + int(hello[at])
	hello[at], hello[at+1] = 0x3e, 0x13 // 15891 bytes of suites: more than the message holds
	c := dialFrom(t, p.A, server)
	sent := time.Now()
	if _, err := c.Write(hello); err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, c) // the server's alert; the client holds on
	srcPort := c.LocalAddr().(*net.TCPAddr).AddrPort().Port()
	l := firstAlertFrom(t, alertPath, srcPort, "a ClientHello that does not parse")
	v := l.Verdict()
	all := strings.Join(v.Reasons, "\n")
	t.Logf("alert %v after the hello, %s: %.1f bits of %.1f; %q", time.Since(sent).Round(time.Millisecond), l.Flow.Reason, v.Score, v.Threshold, v.Reasons)
	if !strings.Contains(all, "malformed ClientHello") || !strings.Contains(all, "alerts on its own") || v.Score < v.Threshold {
		t.Errorf("alert: %.2f bits of %.2f, reasons %q", v.Score, v.Threshold, v.Reasons)
	}
}

// goClientHello is the first record a Go TLS client sends to name.
func goClientHello(t *testing.T, name string) []byte {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go tls.Client(a, &tls.Config{ServerName: name, InsecureSkipVerify: true}).Handshake()
	head := make([]byte, 5)
	if _, err := io.ReadFull(b, head); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, int(head[3])<<8|int(head[4]))
	if _, err := io.ReadFull(b, body); err != nil {
		t.Fatal(err)
	}
	return append(head, body...)
}
