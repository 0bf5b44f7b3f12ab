//go:build linux

package main

import (
	"crypto/tls"
	"net/netip"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// TestScanLiveInNetns: nmap's ssl-enum-ciphers script (a real scanner:
// one connection per version and group of suites, each hello built for
// its question) against a Go TLS server in another namespace; the live
// daemon's alerts include the scan signature, whose reason counts the
// distinct client stacks the server refused (Go's server answers the
// versions and suites it does not take with an alert).
func TestScanLiveInNetns(t *testing.T) {
	needTools(t, "apt-get install nmap: the scanner is nmap's ssl-enum-ciphers script", "nmap")
	p := netnstest.NewVethPair(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{serverCert(t)}}
	server := testkit.ServeTLS(t, p.B, netip.AddrPortFrom(p.B.Addr4, 443), cfg, nil)
	alertPath := startDefaultOn443(t, p)
	a := nmapAlert(t, p, server, "ssl-enum-ciphers", alertPath, 8100041)
	if v := a.Verdict(); !strings.Contains(strings.Join(v.Reasons, "; "), "distinct TLS client stacks (JA4)") {
		t.Errorf("reasons %q: no scan reason", v.Reasons)
	}
}
