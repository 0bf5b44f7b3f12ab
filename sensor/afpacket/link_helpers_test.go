//go:build linux

package afpacket

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// heldConn is a plain TCP connection kept open across a link event: its
// client sends one part before and one after, then closes. The server
// reads to the end, so the flow's prefix is exactly the two parts.
type heldConn struct {
	conn   net.Conn
	client flow.Endpoint
}

func serveSink(t *testing.T, l netnstest.Link) netip.AddrPort {
	t.Helper()
	return testkit.ServeTCP(t, l, netip.AddrPortFrom(l.Addr4, 0), func(c net.Conn) { io.Copy(io.Discard, c) })
}

func holdConn(t *testing.T, from netnstest.Link, addr netip.AddrPort, first string) *heldConn {
	t.Helper()
	var c net.Conn
	if err := from.NS.Do(func() (err error) {
		c, err = net.DialTimeout("tcp", addr.String(), 5*time.Second)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, first); err != nil {
		t.Fatal(err)
	}
	return &heldConn{conn: c, client: endpointOf(c.LocalAddr().(*net.TCPAddr).AddrPort())}
}

// finish sends the second part and closes; the server closes on EOF.
func (h *heldConn) finish(t *testing.T, second string) {
	t.Helper()
	if _, err := io.WriteString(h.conn, second); err != nil {
		t.Fatal(err)
	}
	if err := h.conn.Close(); err != nil {
		t.Fatal(err)
	}
}

// waitLink waits for the capture's link to reach state.
func waitLink(t *testing.T, c *Capture, state LinkState) {
	t.Helper()
	if !waitFor(10*time.Second, func() bool { return c.Stats().Link.State == state }) {
		t.Fatalf("link %v after 10s, want %v", c.Stats().Link.State, state)
	}
}

// seenFromClient reports whether some worker saw n segments of client's.
func seenFromClient(recs []*liveRecorder, client flow.Endpoint, n int) bool {
	for _, r := range recs {
		r.mu.Lock()
		d := r.dirs[client]
		seen := d != nil && d[0] >= n
		r.mu.Unlock()
		if seen {
			return true
		}
	}
	return false
}

// checkOneFlowEach checks that every client endpoint's segments reached
// one worker only and that exactly one flow came out for it.
func checkOneFlowEach(t *testing.T, recs []*liveRecorder, clients map[flow.Endpoint]string) {
	t.Helper()
	for ep, name := range clients {
		var owners []int
		flows := 0
		for i, r := range recs {
			if r.dirs[ep] != nil {
				owners = append(owners, i)
			}
			flows += r.flowsOf(ep)
		}
		if len(owners) != 1 || flows != 1 {
			t.Errorf("%v (%s): segments reached workers %v, %d flows: want one worker, one flow", ep.AddrPort(), name, owners, flows)
		}
	}
}

// heldFlow returns the one flow of the held connection.
func heldFlow(t *testing.T, recs []*liveRecorder, h *heldConn) *flow.Flow {
	t.Helper()
	for _, r := range recs {
		if f := r.flowOf(h.client); f != nil {
			return f
		}
	}
	t.Fatalf("no flow for the held connection %v", h.client.AddrPort())
	return nil
}

func hasLine(logs *observer.ObservedLogs, prefix string) bool {
	for _, e := range logs.All() {
		if strings.HasPrefix(e.Message, prefix) {
			return true
		}
	}
	return false
}

func linkTestTLS(t *testing.T) (client, server *tls.Config) {
	t.Helper()
	cert, err := capgen.SelfSignedCert(capgen.CertOptions{CommonName: "tlsentry.test", DNSNames: []string{"*.tlsentry.test"}})
	if err != nil {
		t.Fatal(err)
	}
	return capgen.TLSConfigs(cert, "tlsentry.test")
}

// dialPhase makes n TLS connections from l to addr, named after phase,
// and records their client endpoints.
func dialPhase(t *testing.T, l netnstest.Link, addr netip.AddrPort, cfg *tls.Config, phase string, n int, clients map[flow.Endpoint]string) {
	t.Helper()
	for i := range n {
		c := cfg.Clone()
		c.ServerName = fmt.Sprintf("%s%d.tlsentry.test", phase, i)
		ep, err := dialTLS(l, addr, c)
		if err != nil {
			t.Fatalf("%s connection %d: %v", phase, i, err)
		}
		clients[ep] = c.ServerName
	}
}

// waitHandedOut waits until every client endpoint's flow came out.
func waitHandedOut(t *testing.T, recs []*liveRecorder, clients map[flow.Endpoint]string) {
	t.Helper()
	ok := waitFor(10*time.Second, func() bool {
		for ep := range clients {
			out := false
			for _, r := range recs {
				out = out || r.flowOf(ep) != nil
			}
			if !out {
				return false
			}
		}
		return true
	})
	if !ok {
		t.Error("not every flow was handed out within 10s")
	}
}

// linkScenario is a capture on veth-b with TLS connections from A
// before and after a link event, and one plain TCP connection held open
// across it.
type linkScenario struct {
	p         *netnstest.Pair
	cfg       Config
	c         *Capture
	logs      *observer.ObservedLogs
	recs      []*liveRecorder
	stop      func() error
	clientCfg *tls.Config
	tlsAddr   netip.AddrPort
	clients   map[flow.Endpoint]string
	held      *heldConn
	first     string
}

// newLinkScenario runs a capture with two workers on veth-b (edit, if
// not nil, changes its configuration, and opened, the capture before
// Run), waits for the link to be up, and makes the connections before.
func newLinkScenario(t *testing.T, edit func(*Config), opened func(*Capture)) *linkScenario {
	t.Helper()
	s := &linkScenario{p: netnstest.NewVethPair(t), clients: map[flow.Endpoint]string{}}
	var serverCfg *tls.Config
	s.clientCfg, serverCfg = linkTestTLS(t)
	s.tlsAddr = testkit.ServeTLS(t, s.p.B, netip.AddrPortFrom(s.p.B.Addr4, 0), serverCfg, nil)
	sinkAddr := serveSink(t, s.p.B)

	const workers = 2
	s.cfg = testLiveConfig(s.p.B.Name, workers)
	if edit != nil {
		edit(&s.cfg)
	}
	s.c = openLiveIn(t, s.p.B.NS, s.cfg)
	if opened != nil {
		opened(s.c)
	}
	core, logs := observer.New(zap.InfoLevel)
	s.c.Log, s.logs = zap.New(core), logs
	clientAddr := s.p.A.Addr4.As16()
	s.recs = newLiveRecorders(t, workers, func(e flow.Endpoint) bool { return e.Addr == clientAddr })
	s.stop, _ = runLive(t, s.c, liveSinks(s.recs))
	waitLink(t, s.c, LinkUp) // the kernel says a new veth is operational within a second

	dialPhase(t, s.p.A, s.tlsAddr, s.clientCfg, "before", 3, s.clients)
	s.first = "first part, before the link went;"
	s.held = holdConn(t, s.p.A, sinkAddr, s.first)
	s.clients[s.held.client] = "held open"
	if !waitFor(5*time.Second, func() bool { return seenFromClient(s.recs, s.held.client, 3) }) {
		t.Fatal("the held connection's first part was not captured")
	}
	return s
}

// finish makes the connections after the link event, stops the capture
// and checks that every connection came out once, whole, from one worker.
func (s *linkScenario) finish(t *testing.T) LinkStats {
	t.Helper()
	const second = " second part, after it came back."
	s.held.finish(t, second)
	dialPhase(t, s.p.A, s.tlsAddr, s.clientCfg, "after", 3, s.clients)
	waitHandedOut(t, s.recs, s.clients)
	if err := s.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, r := range s.recs {
		r.flush()
	}
	checkOneFlowEach(t, s.recs, s.clients)
	f := heldFlow(t, s.recs, s.held)
	if want := s.first + second; string(f.Prefix) != want || f.EndReason != flow.EndFIN || f.Midstream || f.PrefixGap {
		t.Errorf("held connection: prefix %q, end %v, midstream %v, gap %v: want %q, fin", f.Prefix, f.EndReason, f.Midstream, f.PrefixGap, want)
	}
	st := s.c.Stats()
	t.Logf("link: %+v; capture: %+v", st.Link, st.Total)
	for _, e := range s.logs.All() {
		t.Logf("log: %s %s %v", e.Time.Format("15:04:05.000"), e.Message, e.ContextMap())
	}
	if st.Total.Kernel.Drops != 0 {
		t.Errorf("%d kernel drops", st.Total.Kernel.Drops)
	}
	if !hasLine(s.logs, "capture: link up, capturing") {
		t.Error("no log line for the link coming back")
	}
	return st.Link
}
