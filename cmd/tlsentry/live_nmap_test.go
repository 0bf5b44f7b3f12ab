//go:build linux

package main

import (
	"fmt"
	"net/netip"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// needTools skips the test, saying why, unless every tool is installed.
func needTools(t *testing.T, why string, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: %s", tool, why)
		}
	}
}

// nmapAlert runs one of nmap's scripts from p's side A against server,
// then waits up to 30 s for an alert of signature sig in the daemon's
// alert log (alertPath), logs it and returns it; without one the test
// fails with what nmap said.
func nmapAlert(t *testing.T, p *netnstest.Pair, server netip.AddrPort, script, alertPath string, sig int) testkit.EveLine {
	t.Helper()
	out, err := p.A.NS.Command("nmap", "-Pn", "-n", "-p", strconv.Itoa(int(server.Port())), "--script", script, server.Addr().String()).CombinedOutput()
	if err != nil {
		t.Fatalf("nmap: %v\n%s", err, out)
	}
	return awaitSignature(t, alertPath, sig, fmt.Sprintf("nmap's %s said:\n%s", script, out))
}

// awaitSignature waits up to 30 s for an alert of signature sig in the
// daemon's alert log (alertPath), logs it and returns it; without one the
// test fails, with context saying what was tried.
func awaitSignature(t *testing.T, alertPath string, sig int, context string) testkit.EveLine {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range testkit.ReadEve(t, alertPath) {
			if l.EventType == "alert" && l.Alert != nil && l.Alert.SignatureID == sig {
				v := l.Verdict()
				t.Logf("alert %d (%s), %s: %.1f bits of %.1f; %q", sig, l.Alert.Signature, l.Flow.Reason, v.Score, v.Threshold, v.Reasons)
				return l
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no alert %d in 30 s; %s", sig, context)
	return testkit.EveLine{}
}
