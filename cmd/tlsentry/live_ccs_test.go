//go:build linux

package main

import (
	"crypto/tls"
	"net/netip"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// TestCCSInjectionLiveInNetns: nmap's ssl-ccs-injection script (a real
// scanner: a ClientHello, then ChangeCipherSpec as soon as the server's
// flight ends, before any key exchange) probes a Go TLS 1.2 server in
// another namespace; the live daemon alerts with the CCS injection
// signature, whatever the flow's score.
func TestCCSInjectionLiveInNetns(t *testing.T) {
	if _, err := exec.LookPath("nmap"); err != nil {
		t.Skip("nmap not installed (apt-get install nmap): the CCS injection scanner is nmap's ssl-ccs-injection script")
	}
	p := netnstest.NewVethPair(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{serverCert(t)}, MaxVersion: tls.VersionTLS12}
	server := testkit.ServeTLS(t, p.B, netip.AddrPortFrom(p.B.Addr4, 443), cfg, nil)
	alertPath := startDefaultOn443(t, p)

	scan := p.A.NS.Command("nmap", "-Pn", "-n", "-p", strconv.Itoa(int(server.Port())), "--script", "ssl-ccs-injection", server.Addr().String())
	out, err := scan.CombinedOutput()
	if err != nil {
		t.Fatalf("nmap: %v\n%s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range testkit.ReadEve(t, alertPath) {
			if l.EventType != "alert" || l.Alert == nil || l.Alert.SignatureID != 8100051 {
				continue
			}
			v := l.Verdict()
			t.Logf("alert %d (%s), %s: %.1f bits of %.1f; %q", l.Alert.SignatureID, l.Alert.Signature, l.Flow.Reason, v.Score, v.Threshold, v.Reasons)
			if l.Alert.Severity != 1 {
				t.Errorf("severity %d", l.Alert.Severity)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no CCS injection alert in 30 s; nmap said:\n%s", out)
}
