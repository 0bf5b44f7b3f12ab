//go:build linux

package main

import (
	"crypto/tls"
	"net/netip"
	"testing"

	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// TestCCSInjectionLiveInNetns: nmap's ssl-ccs-injection script (a real
// scanner: a ClientHello, then ChangeCipherSpec as soon as the server's
// flight ends, before any key exchange) probes a Go TLS 1.2 server in
// another namespace; the live daemon alerts with the CCS injection
// signature, whatever the flow's score.
func TestCCSInjectionLiveInNetns(t *testing.T) {
	needTools(t, "apt-get install nmap: the CCS injection scanner is nmap's ssl-ccs-injection script", "nmap")
	p := netnstest.NewVethPair(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{serverCert(t)}, MaxVersion: tls.VersionTLS12}
	server := testkit.ServeTLS(t, p.B, netip.AddrPortFrom(p.B.Addr4, 443), cfg, nil)
	alertPath := startDefaultOn443(t, p)
	if a := nmapAlert(t, p, server, "ssl-ccs-injection", alertPath, 8100051); a.Alert.Severity != 1 {
		t.Errorf("severity %d", a.Alert.Severity)
	}
}
