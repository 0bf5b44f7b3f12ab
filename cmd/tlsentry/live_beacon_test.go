//go:build linux

package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// TestRunLiveBeacons is issue 16 on real stacks: curl, a Go client
// (crypto/tls), Python (its ssl module, OpenSSL) and a QUIC client
// (quic-go) each call home to a server of their own in a loop, every 1.5 s ± 30% (uniform), while
// the daemon captures live. With beacon.threshold 1 nothing alerts;
// SIGHUP sets 0.6 without losing what the tracker learnt, and each of the
// three gives one periodic-connections alert at its next scoring: its
// client and server, a period within the loop's, its own JA4 and server
// name, and the flow ids of its latest connections, each a flow of the
// flow log. The four stacks' JA4s differ. Root only (network
// namespaces); skips without python3 or curl.
func TestRunLiveBeacons(t *testing.T) {
	for _, tool := range []string{"python3", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: the real-stack beacon test needs curl and python3", tool)
		}
	}
	p := netnstest.NewVethPair(t)
	cert := serverCert(t)
	serverCfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}}
	type stack struct {
		name, sni string
		server    netip.AddrPort
	}
	stacks := []stack{
		{"go", "www.tlsentry.test", testkit.ServeTLS(t, p.B, netip.AddrPortFrom(p.B.Addr4, 443), serverCfg, nil)},
		{"curl", "www.tlsentry.test", testkit.ServeTLS(t, p.B, netip.AddrPortFrom(p.B.Addr4, 8443), serverCfg, nil)},
		{"python", "update.tlsentry.test", testkit.ServeTLS(t, p.B, netip.AddrPortFrom(p.B.Addr4, 993), serverCfg, nil)},
		{"quic", "www.tlsentry.test", testkit.ServeQUIC(t, p.B, netip.AddrPortFrom(p.B.Addr4, 853),
			&tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"tlsentry-test"}})},
	}

	dir := t.TempDir()
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t, p.A))
	sections := map[string]string{
		"capture":  "  interfaces: [veth-a]\n  ports: [443, 8443, 993, 853]\n  workers: 2\n  ring_size_mb: 4\n  block_size_kb: 32\n  bpf: true\n",
		"detector": "  model: " + trainedModelFile(t) + "\n  batch_timeout: 10ms\n  threshold: 1000\n",
		"beacon":   "  threshold: 1\n",
		"metrics":  "  listen: " + metricsAddr + "\n",
	}
	cfg := writeConfig(t, dir, sections)
	logPath, alertPath, flowPath := filepath.Join(dir, "tlsentry.log"), filepath.Join(dir, "alerts.json"), filepath.Join(dir, "flows.json")
	cmd, exited, notes, _ := startNotifiedDaemon(t, p.A.NS, dir, cfg, logPath)

	const calls = 28
	loop := func(seed uint64) testkit.Beacon {
		return testkit.Beacon{N: calls, Period: 1500 * time.Millisecond, Jitter: 0.3, Seed: seed}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	goDone, quicDone := make(chan error, 1), make(chan error, 1)
	go func() {
		goDone <- testkit.GoBeacon(ctx, p.A, stacks[0].server, tlsClientConfig(t, cert, stacks[0].sni), loop(1))
	}()
	quicCfg := tlsClientConfig(t, cert, stacks[3].sni)
	quicCfg.NextProtos = []string{"tlsentry-test"}
	go func() {
		quicDone <- loop(4).Loop(ctx, func() error {
			_, err := testkit.DialQUIC(p.A, stacks[3].server, quicCfg, 0)
			return err
		})
	}()
	curl := testkit.CurlBeacon(p.A, fmt.Sprintf("https://%s:%d/", stacks[1].sni, stacks[1].server.Port()),
		fmt.Sprintf("%s:%d:%s", stacks[1].sni, stacks[1].server.Port(), stacks[1].server.Addr()), loop(2))
	python := testkit.PythonBeacon(p.A, stacks[2].server, stacks[2].sni, loop(3))
	var pyErr strings.Builder
	python.Stderr = &pyErr
	for _, c := range []*exec.Cmd{curl, python} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		for _, c := range []*exec.Cmd{curl, python} {
			c.Process.Kill()
			c.Wait()
		}
	}()

	flowsTo := func(lines []testkit.EveLine, port uint16) map[uint64]bool {
		ids := map[uint64]bool{}
		for _, l := range lines {
			if l.EventType == "flow" && l.DestPort == port && l.SrcIP == p.A.Addr4.String() {
				ids[l.FlowID] = true
			}
		}
		return ids
	}
	// Phase 1: at threshold 1, the pairs are tracked and scored, nothing
	// alerts.
	testkit.WaitFor(t, "18 flows of each stack", func() bool {
		lines := testkit.ReadEve(t, flowPath)
		for _, s := range stacks {
			if len(flowsTo(lines, s.server.Port())) < 18 {
				return false
			}
		}
		return true
	})
	if n := len(beaconLines(testkit.ReadEve(t, alertPath))); n != 0 {
		t.Fatalf("%d beacon alerts at threshold 1", n)
	}
	if pairs, err := scrape(p.A, metricsAddr, "tlsentry_beacon_pairs"); err != nil || pairs < 4 {
		t.Errorf("tlsentry_beacon_pairs %v (%v), want the 4 pairs at least", pairs, err)
	}

	// Phase 2: SIGHUP to 0.6; each stack alerts once at its next scoring.
	sections["beacon"] = "  threshold: 0.6\n"
	writeConfig(t, dir, sections)
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	notes.expectPrefix(t, "RELOADING=1\nMONOTONIC_USEC=")
	notes.expect(t, "READY=1")
	var alerts []testkit.EveLine
	testkit.WaitFor(t, "a beacon alert of each stack", func() bool {
		alerts = beaconLines(testkit.ReadEve(t, alertPath))
		return len(alerts) >= len(stacks)
	})
	if err := <-goDone; err != nil {
		t.Errorf("Go client: %v", err)
	}
	if err := <-quicDone; err != nil {
		t.Errorf("QUIC client: %v", err)
	}
	for _, c := range []*exec.Cmd{curl, python} {
		if err := c.Wait(); err != nil {
			t.Errorf("%s: %v (%s)", c.Args[0], err, pyErr.String())
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-exited; err != nil {
		t.Fatalf("daemon: %v", err)
	}

	flows := testkit.ReadEve(t, flowPath)
	alerts = beaconLines(testkit.ReadEve(t, alertPath))
	ja4s := map[string]string{}
	for _, s := range stacks {
		var mine []testkit.EveLine
		for _, a := range alerts {
			if a.DestPort == s.server.Port() {
				mine = append(mine, a)
			}
		}
		if len(mine) != 1 {
			t.Errorf("%s: %d beacon alerts, want 1", s.name, len(mine))
			continue
		}
		a, b := mine[0], mine[0].Detail.Beacon
		t.Logf("%s: %s", s.name, a.Verdict().Finding)
		if a.SrcIP != p.A.Addr4.String() || b.Client != p.A.Addr4.String() || b.Destination != s.server.String() || b.SNI != s.sni {
			t.Errorf("%s: alert from %s to %s, beacon %+v", s.name, a.SrcIP, b.Destination, b)
		}
		if b.Period < 1.05 || b.Period > 1.95 || b.Count < 16 || b.Jitter > 0.5 || b.Update || b.JA4 == "" {
			t.Errorf("%s: beacon %+v", s.name, b)
		}
		if quic := s.name == "quic"; quic != (a.Proto == "UDP") || quic != strings.HasPrefix(b.JA4, "q") {
			t.Errorf("%s: proto %s, JA4 %s", s.name, a.Proto, b.JA4)
		}
		ids := flowsTo(flows, s.server.Port())
		for _, id := range b.FlowIDs {
			if !ids[id] {
				t.Errorf("%s: flow id %d is not one of its flows", s.name, id)
			}
		}
		if other, ok := ja4s[b.JA4]; ok {
			t.Errorf("%s and %s have the same JA4 %s", s.name, other, b.JA4)
		}
		ja4s[b.JA4] = s.name
	}
	if !fileContains(logPath, `"beacon_findings":4`) {
		t.Error("the stop line does not count 4 beacon findings")
	}
}
