//go:build linux

package main

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// TestTrainLive learns from a live interface: real TLS connections to port
// 443 across a veth pair, captured with the eBPF filter for a few seconds,
// then trained on; a connection to another port is not learned.
func TestTrainLive(t *testing.T) {
	p := netnstest.NewVethPair(t)
	cert, err := capgen.SelfSignedCert(capgen.CertOptions{CommonName: "learn.test", DNSNames: []string{"*.learn.test"}})
	if err != nil {
		t.Fatal(err)
	}
	clientCfg, serverCfg := capgen.TLSConfigs(cert, "learn.test")
	for _, port := range []uint16{443, 8443} {
		testkit.ServeTLS(t, p.B, netip.AddrPortFrom(p.B.Addr4, port), serverCfg, nil)
	}

	const conns = 24
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // traffic once the capture is up
		defer wg.Done()
		time.Sleep(700 * time.Millisecond)
		for i := range conns + 1 {
			port := uint16(443)
			if i == conns {
				port = 8443 // not watched
			}
			cfg := clientCfg.Clone()
			cfg.ServerName = fmt.Sprintf("h%d.learn.test", i%4)
			if _, err := dialTLSFrom(p.A, netip.AddrPortFrom(p.B.Addr4, port), cfg); err != nil {
				t.Errorf("connection %d: %v", i, err)
			}
		}
	}()
	modelPath := filepath.Join(t.TempDir(), "live.model")
	var out, stderr string
	err = p.B.NS.Do(func() (err error) {
		out, stderr, err = runCmd(t, "train", "-i", p.B.Name, "-duration", "4s", "-ports", "443",
			"-workers", "2", "-model", "hybrid", "-epochs", "1", "-batch", "8", "-trees", "10", "-out", modelPath)
		return err
	})
	wg.Wait()
	if err != nil {
		t.Fatalf("train -i: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, fmt.Sprintf("%d flows on watched ports", conns)) || !strings.Contains(out, fmt.Sprintf("learned from %d flows", conns)) ||
		!strings.Contains(out, "servers: 4 distinct SNI") || !strings.Contains(out, "live:"+p.B.Name) {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, stderr)
	}
}
