//go:build linux

package afpacket

import (
	"crypto/tls"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// testLiveConfig is a small capture on iface: 4 MiB rings of 128 small
// blocks, so that a worker starved of CPU for a second (2 cores shared
// with the race detector and other tests) loses nothing even at a low
// packet rate, where each block holds the few packets of its timeout.
func testLiveConfig(iface string, workers int) Config {
	return Config{
		Interface:    iface,
		Workers:      workers,
		RingBytes:    4 << 20,
		BlockSize:    32 << 10,
		BlockTimeout: 10 * time.Millisecond,
		Promiscuous:  true,
		TickInterval: 20 * time.Millisecond,
	}
}

// openLiveIn opens a capture from inside the namespace.
func openLiveIn(t *testing.T, ns *netnstest.NS, cfg Config) *Capture {
	t.Helper()
	var c *Capture
	if err := ns.Do(func() (err error) {
		c, err = Open(cfg)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

func endpointOf(ap netip.AddrPort) flow.Endpoint {
	return flow.Endpoint{Addr: ap.Addr().As16(), Port: ap.Port()}
}

// serveTLS answers TLS connections on l's IPv4 and IPv6 addresses: after
// the handshake it reads "hello", writes "world" and closes.
func serveTLS(t *testing.T, l netnstest.Link, cfg *tls.Config) (v4, v6 netip.AddrPort) {
	t.Helper()
	return testkit.ServeTLS(t, l, netip.AddrPortFrom(l.Addr4, 0), cfg, nil), testkit.ServeTLS(t, l, netip.AddrPortFrom(l.Addr6, 0), cfg, nil)
}

// dialTLS makes one TLS connection from l's namespace (testkit.DialTLS)
// and returns the client's endpoint.
func dialTLS(l netnstest.Link, addr netip.AddrPort, cfg *tls.Config) (flow.Endpoint, error) {
	local, err := testkit.DialTLS(l, addr, cfg)
	return endpointOf(local), err
}

// TestLiveCaptureTLSAcrossVeth captures real crypto/tls connections on a
// veth end with two fanout workers and checks that every connection went
// whole (both directions) to exactly one worker, whose flow table parsed
// its ClientHello, and that the counters add up.
func TestLiveCaptureTLSAcrossVeth(t *testing.T) {
	p := netnstest.NewVethPair(t)
	cert, err := capgen.SelfSignedCert(capgen.CertOptions{CommonName: "tlsentry.test", DNSNames: []string{"*.tlsentry.test"}})
	if err != nil {
		t.Fatal(err)
	}
	clientCfg, serverCfg := capgen.TLSConfigs(cert, "tlsentry.test")
	v4, v6 := serveTLS(t, p.B, serverCfg)

	const workers = 2
	c := openLiveIn(t, p.B.NS, testLiveConfig(p.B.Name, workers))
	clientAddrs := map[[16]byte]bool{p.A.Addr4.As16(): true, p.A.Addr6.As16(): true}
	recs := newLiveRecorders(t, workers, func(e flow.Endpoint) bool { return clientAddrs[e.Addr] })
	stop, _ := runLive(t, c, liveSinks(recs))

	// The metrics exporter reads the counters while the capture runs.
	stopStats, statsDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(statsDone)
		for {
			select {
			case <-stopStats:
				return
			case <-time.After(5 * time.Millisecond):
				_ = c.Stats()
			}
		}
	}()

	const conns = 24
	sni := map[flow.Endpoint]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg := clientCfg.Clone()
			cfg.ServerName = fmt.Sprintf("c%02d.tlsentry.test", i)
			addr := v4
			if i%6 == 5 {
				addr = v6
			}
			ep, err := dialTLS(p.A, addr, cfg)
			if err != nil {
				t.Errorf("connection %d: %v", i, err)
				return
			}
			mu.Lock()
			sni[ep] = cfg.ServerName
			mu.Unlock()
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if len(sni) != conns {
		t.Fatalf("%d distinct client endpoints for %d connections", len(sni), conns)
	}

	// Wait until every connection's flow has come out of some table.
	handedOut := func() bool {
		for ep := range sni {
			if recs[0].flowOf(ep) == nil && recs[1].flowOf(ep) == nil {
				return false
			}
		}
		return true
	}
	if !waitFor(10*time.Second, handedOut) {
		t.Error("not every connection's flow was handed out within 10s")
	}
	close(stopStats)
	<-statsDone
	start := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Logf("Run returned %v after cancel", time.Since(start).Round(time.Millisecond))

	perWorker := make([]int, workers)
	for ep, name := range sni {
		var owners []int
		for i, r := range recs {
			if d := r.dirs[ep]; d != nil {
				owners = append(owners, i)
				if d[0] == 0 || d[1] == 0 {
					t.Errorf("%v (%s): worker %d saw %d segments to the server, %d to the client: want both directions", ep.AddrPort(), name, i, d[0], d[1])
				}
			}
		}
		if len(owners) != 1 {
			t.Errorf("%v (%s): segments reached workers %v, want exactly one", ep.AddrPort(), name, owners)
			continue
		}
		w := owners[0]
		perWorker[w]++
		f := recs[w].flowOf(ep)
		if f == nil {
			t.Errorf("%v (%s): no flow from worker %d", ep.AddrPort(), name, w)
			continue
		}
		if len(f.Prefix) < 2 || f.Prefix[0] != 0x16 || f.Prefix[1] != 0x03 {
			t.Errorf("%v: prefix starts % x, want a TLS handshake record", ep.AddrPort(), f.Prefix[:min(len(f.Prefix), 8)])
		}
		ch, err := tlsparse.ParseClientHello(f.ClientHandshake)
		if err != nil || ch == nil {
			t.Errorf("%v: ClientHello: %v", ep.AddrPort(), err)
		} else if ch.ServerName != name {
			t.Errorf("%v: SNI %q, want %q", ep.AddrPort(), ch.ServerName, name)
		}
		if f.ServerHandshake == nil {
			t.Errorf("%v: no server handshake captured", ep.AddrPort())
		}
	}
	for i, n := range perWorker {
		t.Logf("worker %d: %d connections, %d segments, %d ticks", i, n, recs[i].segs, recs[i].ticks)
		if n == 0 {
			t.Errorf("worker %d got no connection of %d: fanout did not spread flows", i, conns)
		}
	}

	st := c.Stats()
	if st.Interface != p.B.Name || len(st.Workers) != workers {
		t.Fatalf("stats for %q with %d workers", st.Interface, len(st.Workers))
	}
	var sum WorkerStats
	for i, ws := range st.Workers {
		sum.Add(&ws)
		r := recs[i]
		if ws.Packets.Decoded != uint64(r.segs) {
			t.Errorf("worker %d: Decoded %d, sink got %d segments", i, ws.Packets.Decoded, r.segs)
		}
		var skipped uint64
		for _, n := range ws.Packets.Skipped {
			skipped += n
		}
		if ws.Packets.Read != ws.Packets.Decoded+skipped {
			t.Errorf("worker %d: Read %d != Decoded %d + skipped %d", i, ws.Packets.Read, ws.Packets.Decoded, skipped)
		}
		if ws.Kernel.Packets < ws.Packets.Read {
			t.Errorf("worker %d: kernel counted %d packets, fewer than the %d read", i, ws.Kernel.Packets, ws.Packets.Read)
		}
		if ws.Kernel.Drops != 0 {
			t.Errorf("worker %d: kernel dropped %d packets", i, ws.Kernel.Drops)
		}
		if r.ticks == 0 {
			t.Errorf("worker %d: no ticks", i)
		} else if d := time.Since(r.lastTick); d < 0 || d > time.Minute {
			t.Errorf("worker %d: last tick at %v, not wall-clock time", i, r.lastTick)
		}
	}
	if sum != st.Total {
		t.Errorf("Total %+v != sum of workers %+v", st.Total, sum)
	}
	if st.Total.Packets.Decoded < 10*conns {
		t.Errorf("decoded %d segments for %d connections", st.Total.Packets.Decoded, conns)
	}
	t.Logf("stats: %+v", st.Total)
}

// promiscuous reports whether the interface is in promiscuous mode. A
// socket's membership counts in the device's promiscuity, not in its
// PROMISC flag (which is what `ip link set promisc on` sets).
func promiscuous(t *testing.T, l netnstest.Link) bool {
	t.Helper()
	out, err := l.NS.Command("ip", "-d", "link", "show", l.Name).Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "promiscuity ") {
		t.Fatalf("no promiscuity count in: %s", out)
	}
	return !strings.Contains(string(out), "promiscuity 0 ")
}

// TestLiveCaptureClose checks Close before Run, during Run, and twice,
// and that promiscuous mode lasts only while the sockets are open.
func TestLiveCaptureClose(t *testing.T) {
	p := netnstest.NewVethPair(t)
	if promiscuous(t, p.B) {
		t.Fatal("interface promiscuous before the capture")
	}
	c := openLiveIn(t, p.B.NS, testLiveConfig(p.B.Name, 1))
	if !promiscuous(t, p.B) {
		t.Error("interface not promiscuous while the capture is open")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if promiscuous(t, p.B) {
		t.Error("interface still promiscuous after Close")
	}
	if err := c.Run(t.Context(), liveSinks(newLiveRecorders(t, 1, nil))); err == nil {
		t.Error("Run after Close: no error")
	}

	c = openLiveIn(t, p.B.NS, testLiveConfig(p.B.Name, 2))
	if err := c.Run(t.Context(), liveSinks(newLiveRecorders(t, 1, nil))); err == nil {
		t.Error("Run with 1 sink for 2 workers: no error")
	}
	recs := newLiveRecorders(t, 2, nil)
	errc := make(chan error, 1)
	go func() { errc <- c.Run(t.Context(), liveSinks(recs)) }()
	if !waitFor(5*time.Second, func() bool { recs[0].mu.Lock(); defer recs[0].mu.Unlock(); return recs[0].ticks > 0 }) {
		t.Fatal("no tick within 5s")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("Run stopped by Close: %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of Close")
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if promiscuous(t, p.B) {
		t.Error("interface still promiscuous after Run ended")
	}
}
