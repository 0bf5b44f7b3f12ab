//go:build linux

package main

import (
	"crypto/tls"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// TestRunLiveQUICInNetns: real QUIC connections (quic-go, client and
// server) across a veth pair, captured live by the daemon with two
// AF_PACKET workers and the eBPF filter attached, each come out as one
// scored UDP flow: app_proto quic, the client's SNI, a JA4 with QUIC's
// q, the Initials counted. The fanout sends both directions of each flow
// to one worker (its table saw both hellos), and the filter keeps each
// connection's bulk datagrams in the kernel: the tables see at most the
// datagram budget of each direction, of connections that each download a
// megabyte.
func TestRunLiveQUICInNetns(t *testing.T) {
	p := netnstest.NewVethPair(t)
	cert := serverCert(t)
	const alpn = "tlsentry-test"
	addr := testkit.ServeQUIC(t, p.B, netip.AddrPortFrom(p.B.Addr4, 443), &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{alpn}})
	clientCfg := tlsClientConfig(t, cert, "www.tlsentry.test")
	clientCfg.NextProtos = []string{alpn}

	dir := t.TempDir()
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t, p.A))
	const budget = 8
	cfg := writeConfig(t, dir, map[string]string{
		"capture": fmt.Sprintf("  interfaces: [veth-a]\n  ports: [443]\n  workers: 2\n  ring_size_mb: 4\n  block_size_kb: 32\n  bpf: true\n  bpf_budget_packets: %d\n", budget),
		"metrics": "  listen: " + metricsAddr + "\n",
	})
	logPath, flowPath := filepath.Join(dir, "tlsentry.log"), filepath.Join(dir, "flows.json")
	cmd, exited, notes, stderr := startNotifiedDaemon(t, p.A.NS, dir, cfg, logPath)

	const conns, download = 4, 1 << 20
	ports := map[uint16]bool{}
	for range conns {
		local, err := testkit.DialQUIC(p.A, addr, clientCfg, download)
		if err != nil {
			t.Fatal(err)
		}
		ports[local.Port()] = true
	}
	var lines []testkit.EveLine
	testkit.WaitFor(t, fmt.Sprintf("%d QUIC flow lines", conns), func() bool {
		lines = testkit.ReadEve(t, flowPath)
		return len(lines) >= conns
	})
	for _, l := range lines {
		v := l.Verdict()
		switch {
		case !ports[l.SrcPort] || l.Proto != "UDP" || l.DestPort != 443:
			t.Errorf("unexpected flow line %+v", l)
		case l.AppProto != "quic" || l.TLS == nil || l.TLS.SNI != "www.tlsentry.test" || !strings.HasPrefix(l.TLS.JA4, "q13"):
			t.Errorf("flow from port %d: app_proto %q tls %+v", l.SrcPort, l.AppProto, l.TLS)
		case l.QUIC == nil || l.QUIC.Version != "v1" || l.QUIC.InitialsToServer == 0 || l.QUIC.InitialsToClient == 0 || l.QUIC.Undecrypted:
			t.Errorf("flow from port %d: quic %+v", l.SrcPort, l.QUIC)
		case l.Flow.Reason != "complete" || v == nil || v.Score <= 0:
			t.Errorf("flow from port %d: end %q, verdict %+v", l.SrcPort, l.Flow.Reason, v)
		}
	}
	// Every connection has been downloaded in full by now; the counters
	// are published about once a second.
	var (
		seen float64
		err  error
	)
	testkit.WaitFor(t, "the datagram counters", func() bool {
		seen, err = scrape(p.A, metricsAddr, "tlsentry_udp_datagrams_total")
		return err == nil && seen > 0
	})
	time.Sleep(1500 * time.Millisecond)
	seen, _ = scrape(p.A, metricsAddr, "tlsentry_udp_datagrams_total")
	t.Logf("%d QUIC connections of %d bytes each: the flow tables saw %v datagrams", conns, download, seen)
	if seen < 2*conns || seen > 2*budget*conns {
		t.Errorf("the tables saw %v datagrams; want at least the hellos (%d) and at most the budget (%d)", seen, 2*conns, 2*budget*conns)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	notes.expect(t, "STOPPING=1")
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("daemon exited with %v\n%s", err, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("the daemon did not stop after SIGTERM")
	}
	// The stop line counts what the filter kept in the kernel.
	data, _ := os.ReadFile(logPath)
	m := regexp.MustCompile(`"bpf_over_budget":(\d+)`).FindSubmatch(data)
	if m == nil {
		t.Fatalf("no bpf_over_budget in the daemon log:\n%s", data)
	}
	// How many frames a megabyte takes depends on the offloads (with UDP
	// GSO one frame carries many datagrams): each connection kept some.
	if n, _ := strconv.Atoi(string(m[1])); n < 2*conns {
		t.Errorf("the filter kept %d frames in the kernel, fewer than two per connection", n)
	} else {
		t.Logf("the filter kept %d datagrams in the kernel", n)
	}
}
