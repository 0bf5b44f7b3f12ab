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
// 443 across a veth pair, captured with the eBPF filter until 24 flows are
// in, then trained on; connections to another port are not learned.
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

	// Connections go on until learning stops (after conns flows on the
	// watched port): the capture may come up after the first ones, which
	// it then misses, whatever the load on the machine.
	const conns = 24
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			port := uint16(443)
			if i%5 == 4 {
				port = 8443 // not watched
			}
			cfg := clientCfg.Clone()
			cfg.ServerName = fmt.Sprintf("h%d.learn.test", i%4)
			dialTLSFrom(p.A, netip.AddrPortFrom(p.B.Addr4, port), cfg)
			time.Sleep(20 * time.Millisecond)
		}
	})
	modelPath := filepath.Join(t.TempDir(), "live.model")
	var out, stderr string
	err = p.B.NS.Do(func() (err error) {
		out, stderr, err = runCmd(t, "train", "-i", p.B.Name, "-duration", "2m", "-stop-after", fmt.Sprint(conns), "-ports", "443",
			"-workers", "2", "-model", "hybrid", "-epochs", "1", "-batch", "8", "-trees", "10", "-out", modelPath)
		return err
	})
	close(done)
	wg.Wait()
	if err != nil {
		t.Fatalf("train -i: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, fmt.Sprintf("%d flows on watched ports", conns)) ||
		!strings.Contains(stderr, fmt.Sprintf("%d flows with payload from live capture on %s", conns, p.B.Name)) || !strings.Contains(out, fmt.Sprintf("learned from %d flows", conns)) ||
		!strings.Contains(out, "servers: 4 distinct SNI") || !strings.Contains(out, "live:"+p.B.Name) {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, stderr)
	}
}
