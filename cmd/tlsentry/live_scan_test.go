//go:build linux

package main

import (
	"crypto/tls"
	"net/netip"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// TestScanLiveInNetns: nmap's ssl-enum-ciphers script (a real scanner:
// one connection per version and group of suites, each hello built for
// its question) against a Go TLS server in another namespace; the live
// daemon's alerts include the scan signature, whose reason counts the
// distinct client stacks.
func TestScanLiveInNetns(t *testing.T) {
	if _, err := exec.LookPath("nmap"); err != nil {
		t.Skip("nmap not installed (apt-get install nmap): the scanner is nmap's ssl-enum-ciphers script")
	}
	p := netnstest.NewVethPair(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{serverCert(t)}}
	server := testkit.ServeTLS(t, p.B, netip.AddrPortFrom(p.B.Addr4, 443), cfg, nil)
	alertPath := startDefaultOn443(t, p)

	scan := p.A.NS.Command("nmap", "-Pn", "-n", "-p", strconv.Itoa(int(server.Port())), "--script", "ssl-enum-ciphers", server.Addr().String())
	out, err := scan.CombinedOutput()
	if err != nil {
		t.Fatalf("nmap: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range testkit.ReadEve(t, alertPath) {
			if l.EventType != "alert" || l.Alert == nil || l.Alert.SignatureID != 8100041 {
				continue
			}
			v := l.Verdict()
			t.Logf("alert %d (%s), %.1f bits of %.1f; %q", l.Alert.SignatureID, l.Alert.Signature, v.Score, v.Threshold, v.Reasons)
			if !strings.Contains(strings.Join(v.Reasons, "; "), "distinct TLS client stacks (JA4)") {
				t.Errorf("reasons %q: no scan reason", v.Reasons)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no scan alert in 30 s; nmap said:\n%s", out)
}
