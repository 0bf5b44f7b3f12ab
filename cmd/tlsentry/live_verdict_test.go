//go:build linux

package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// TestEarlyVerdictLatencyInNetns measures, on a live daemon capturing a
// veth pair, the time from a client's first send to its alert line in the
// alert log, for connections that are held open and never answered by a
// server on 443 that only reads (so no FIN, no idle timeout helps):
//
//   - SSH: a client banner and a key exchange-sized packet: the prefix
//     fills with bytes that are not TLS (decided at once);
//   - 300 random bytes: not TLS, decided when the client held still a
//     second (its first flight over);
//   - a crypto/tls ClientHello the server never answers: the verdict
//     timeout (10 s by default).
//
// The first two must alert within a couple of seconds, the third within
// the verdict timeout and a margin; each connection has one flow record,
// also after it closes; the verdict latency metric counts from the
// deciding packet (the random bytes' second of silence is in it). The
// threshold is low so that every flow alerts: what is measured is when,
// not whether (TestDefaultOnSample holds the default model's verdicts).
func TestEarlyVerdictLatencyInNetns(t *testing.T) {
	p := netnstest.NewVethPair(t)
	server := testkit.ServeTCP(t, p.B, netip.AddrPortFrom(p.B.Addr4, 443), func(c net.Conn) {
		io.Copy(io.Discard, c) // reads, never answers, until the client closes
	})
	dir := t.TempDir()
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t, p.A))
	cfg := writeConfig(t, dir, map[string]string{
		"capture":  "  interfaces: [veth-a]\n  ports: [443]\n  workers: 1\n  ring_size_mb: 4\n  block_size_kb: 32\n",
		"detector": "  batch_timeout: 10ms\n  threshold: 0.01\n", // the embedded default model
		"metrics":  "  listen: " + metricsAddr + "\n",
	})
	logPath, alertPath, flowPath := filepath.Join(dir, "tlsentry.log"), filepath.Join(dir, "alerts.json"), filepath.Join(dir, "flows.json")
	startNotifiedDaemon(t, p.A.NS, dir, cfg, logPath)

	dial := func() net.Conn { return dialFrom(t, p.A, server) }
	port := func(c net.Conn) uint16 { return c.LocalAddr().(*net.TCPAddr).AddrPort().Port() }
	// alertAfter waits for the first alert line of the client port and
	// returns how long after sent it was seen, and the flow's end reason.
	alertAfter := func(what string, clientPort uint16, sent time.Time) (time.Duration, string) {
		t.Helper()
		var reason string
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			for _, l := range testkit.ReadEve(t, alertPath) {
				if l.EventType == "alert" && l.SrcPort == clientPort {
					reason = l.Flow.Reason
					return time.Since(sent), reason
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("%s: no alert in 30 s", what)
		return 0, ""
	}

	ssh := dial()
	kex := make([]byte, 1100)
	rand.Read(kex)
	sentSSH := time.Now()
	if _, err := ssh.Write([]byte(sshClientBanner)); err != nil {
		t.Fatal(err)
	}
	if _, err := ssh.Write(kex); err != nil {
		t.Fatal(err)
	}
	latSSH, whySSH := alertAfter("ssh", port(ssh), sentSSH)

	random := dial()
	junk := make([]byte, 300)
	rand.Read(junk)
	junk[0] = 0x21 + junk[0]%0x2e // printable, before 'P': no TLS record, SSLv2, PROXY, CONNECT or OpenVPN start
	sentRandom := time.Now()
	if _, err := random.Write(junk); err != nil {
		t.Fatal(err)
	}
	latRandom, whyRandom := alertAfter("random bytes", port(random), sentRandom)

	hello := dial()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	handshake := make(chan error, 1)
	sentHello := time.Now()
	go func() {
		handshake <- tls.Client(hello, &tls.Config{ServerName: "www.tlsentry.test"}).HandshakeContext(ctx)
	}()
	latHello, whyHello := alertAfter("unanswered ClientHello", port(hello), sentHello)
	const verdictTimeout = 10 * time.Second // flow.verdict_timeout's default
	t.Logf("client's send to alert line: SSH on 443 %v (%s), 300 random bytes %v (%s), unanswered ClientHello %v (%s)",
		latSSH.Round(time.Millisecond), whySSH, latRandom.Round(time.Millisecond), whyRandom, latHello.Round(time.Millisecond), whyHello)
	for _, c := range []struct {
		what, reason, want string
		lat, max           time.Duration
	}{
		{"SSH", whySSH, "decided", latSSH, 3 * time.Second},
		{"random bytes", whyRandom, "decided", latRandom, 3 * time.Second},
		{"unanswered ClientHello", whyHello, "verdict_timeout", latHello, verdictTimeout + 3*time.Second},
	} {
		if c.reason != c.want || c.lat > c.max {
			t.Errorf("%s: alerted after %v, end reason %q; want %q within %v", c.what, c.lat, c.reason, c.want, c.max)
		}
	}
	if latHello < verdictTimeout {
		t.Errorf("the unanswered ClientHello alerted after %v, before the verdict timeout", latHello)
	}

	// The connections' later packets (their closes) are only counted: one
	// flow record each, written at the verdict.
	cancel()
	<-handshake
	for _, c := range []net.Conn{ssh, random, hello} {
		c.Close()
	}
	time.Sleep(2 * time.Second) // the closes' packets, a table sweep and a batch
	perPort := map[uint16]int{}
	for _, l := range testkit.ReadEve(t, flowPath) {
		perPort[l.SrcPort]++
	}
	for _, c := range []net.Conn{ssh, random, hello} {
		if n := perPort[port(c)]; n != 1 {
			t.Errorf("client port %d: %d flow records, want 1", port(c), n)
		}
	}

	get := func(metric string) float64 {
		t.Helper()
		v, err := scrape(p.A, metricsAddr, metric)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	n, sum := get("tlsentry_verdict_latency_seconds_count"), get("tlsentry_verdict_latency_seconds_sum")
	t.Logf("tlsentry_verdict_latency_seconds: %v flows, %.3f s in all", n, sum)
	// From the deciding packet: the random bytes' verdict waited a second
	// of silence, which a latency from the hand-out would not count.
	if n != 3 || sum < 1 || sum > 9 {
		t.Errorf("verdict latency: %v flows summing to %v s; want 3, from 1 s (the random bytes' wait) to 9 s", n, sum)
	}
}
