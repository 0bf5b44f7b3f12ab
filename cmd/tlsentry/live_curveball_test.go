//go:build linux

package main

import (
	"crypto/tls"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// TestCurveBallLiveInNetns: a Go TLS 1.2 server in another namespace
// presents a CurveBall chain (its CA certificate's key spells its curve
// out, the key itself the generator, as the public exploits make theirs);
// a client connects (Go's client then refuses the chain: it was sent in
// clear all the same) and the live daemon alerts with the CurveBall
// signature, severity 1, naming the certificate.
func TestCurveBallLiveInNetns(t *testing.T) {
	p := netnstest.NewVethPair(t)
	chain, err := capgen.CurveBallChain([]string{"www.tlsentry.test"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{chain}, MaxVersion: tls.VersionTLS12}
	server := testkit.ServeTLS(t, p.B, netip.AddrPortFrom(p.B.Addr4, 443), cfg, nil)
	alertPath := startDefaultOn443(t, p)
	_, err = dialTLSFrom(p.A, server, &tls.Config{InsecureSkipVerify: true, ServerName: "www.tlsentry.test"})
	if err == nil {
		t.Fatal("the client took a chain with an explicit curve")
	}
	a := awaitSignature(t, alertPath, 8100052, fmt.Sprintf("the client said: %v", err))
	if a.DestPort != server.Port() || a.Alert.Severity != 1 || !strings.Contains(a.Verdict().Finding, "CVE-2020-0601") {
		t.Errorf("alert to port %d, severity %d, finding %q", a.DestPort, a.Alert.Severity, a.Verdict().Finding)
	}
}
