//go:build linux

package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// linkDaemon is a daemon capturing on veth-a (in A's namespace, the
// clients' side), with the TLS port 443 and a plain TCP port 8443
// watched, every flow in its flow log.
type linkDaemon struct {
	p                          *netnstest.Pair
	cmd                        interface{ Signal(os.Signal) error }
	exited                     <-chan error
	metricsAddr                string
	logPath, flowPath, cfgPath string
}

func startLinkDaemon(t *testing.T, p *netnstest.Pair) *linkDaemon {
	t.Helper()
	dir := t.TempDir()
	d := &linkDaemon{p: p, metricsAddr: fmt.Sprintf("127.0.0.1:%d", freePort(t, p.A)),
		logPath: filepath.Join(dir, "tlsentry.log"), flowPath: filepath.Join(dir, "flows.json")}
	d.cfgPath = writeConfig(t, dir, map[string]string{
		"capture":  "  interfaces: [veth-a]\n  ports: [443, 8443]\n  workers: 2\n  ring_size_mb: 4\n  block_size_kb: 32\n  bpf: true\n",
		"detector": "  model: " + trainedModelFile(t) + "\n  batch_timeout: 10ms\n  threshold: 1000\n",
		"metrics":  "  listen: " + d.metricsAddr + "\n",
		// No TLS port: the plain text held open across the flap would be
		// handed out (decided) a second after its first part.
		"flow": "  tls_ports: []\n",
	})
	notes := listenNotify(t, filepath.Join(dir, "notify"))
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := p.A.NS.Command(self, "run", "-config", d.cfgPath)
	cmd.Env = append(os.Environ(), "TLSENTRY_TEST_MAIN=1", "NOTIFY_SOCKET="+notes.path)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	d.exited = testkit.Start(t, cmd, func() {
		data, _ := os.ReadFile(d.logPath)
		t.Logf("daemon output:\n%s\ndaemon log:\n%s", out.String(), data)
	})
	select {
	case m := <-notes.msgs:
		if m != "READY=1" {
			t.Fatalf("systemd notification %q, want READY=1", m)
		}
	case err := <-d.exited:
		t.Fatalf("the daemon exited before it was ready: %v\n%s", err, out.String())
	case <-time.After(time.Minute):
		t.Fatal(errNotifyTimeout)
	}
	d.cmd = cmd.Process
	return d
}

// metric scrapes one of the link metrics of veth-a.
func (d *linkDaemon) metric(t *testing.T, name string) float64 {
	t.Helper()
	v, err := scrape(d.p.A, d.metricsAddr, name+`{interface="veth-a"}`)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (d *linkDaemon) waitUp(t *testing.T, up bool) {
	t.Helper()
	want := 0.0
	if up {
		want = 1
	}
	testkit.WaitFor(t, fmt.Sprintf("tlsentry_capture_link_up %v", want), func() bool {
		return d.metric(t, "tlsentry_capture_link_up") == want
	})
}

// stop sends SIGTERM and wants exit status 0.
func (d *linkDaemon) stop(t *testing.T) {
	t.Helper()
	if err := d.cmd.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-d.exited:
		if err != nil {
			t.Fatalf("daemon exited with %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the daemon did not stop after SIGTERM")
	}
}

// linkTraffic is the servers in B and the connections made to them.
type linkTraffic struct {
	tlsAddr, sinkAddr netip.AddrPort
	clientCfg         *tls.Config
	ports             []uint16 // client ports of every connection made
}

func newLinkTraffic(t *testing.T, p *netnstest.Pair) *linkTraffic {
	t.Helper()
	cert := serverCert(t)
	return &linkTraffic{
		tlsAddr:   testkit.ServeTLS(t, p.B, netip.AddrPortFrom(p.B.Addr4, 443), &tls.Config{Certificates: []tls.Certificate{cert}}, nil),
		sinkAddr:  testkit.ServeTCP(t, p.B, netip.AddrPortFrom(p.B.Addr4, 8443), func(c net.Conn) { io.Copy(io.Discard, c) }),
		clientCfg: tlsClientConfig(t, cert, "www.tlsentry.test"),
	}
}

func (lt *linkTraffic) dial(t *testing.T, p *netnstest.Pair, n int) {
	t.Helper()
	for range n {
		port, err := dialTLSFrom(p.A, lt.tlsAddr, lt.clientCfg)
		if err != nil {
			t.Fatal(err)
		}
		lt.ports = append(lt.ports, port)
	}
}

// hold opens a plain TCP connection to 8443 and sends first; the caller
// finishes it (or not).
func (lt *linkTraffic) hold(t *testing.T, p *netnstest.Pair, first string) net.Conn {
	t.Helper()
	c := dialFrom(t, p.A, lt.sinkAddr)
	if _, err := io.WriteString(c, first); err != nil {
		t.Fatal(err)
	}
	lt.ports = append(lt.ports, c.LocalAddr().(*net.TCPAddr).AddrPort().Port())
	return c
}

// flowsByPort reads the flow log: each connection's line by client port,
// failing on a connection with none or several.
func (lt *linkTraffic) flowsByPort(t *testing.T, path string) map[uint16]testkit.EveLine {
	t.Helper()
	lines := testkit.ReadEve(t, path)
	byPort := map[uint16]testkit.EveLine{}
	count := map[uint16]int{}
	for _, l := range lines {
		byPort[l.SrcPort] = l
		count[l.SrcPort]++
	}
	for _, port := range lt.ports {
		if count[port] != 1 {
			t.Errorf("client port %d: %d flow lines, want 1", port, count[port])
		}
	}
	if len(lines) != len(lt.ports) {
		t.Errorf("%d flow lines for %d connections", len(lines), len(lt.ports))
	}
	return byPort
}

// TestRunLiveSurvivesLinkFlap takes the daemon's capture interface down
// for 3 s during traffic: the daemon goes on, says so in its log and
// metrics, and every connection made before and after the flap, and the
// one open across it, is in the flow log once, whole; SIGTERM then exits 0.
func TestRunLiveSurvivesLinkFlap(t *testing.T) {
	p := netnstest.NewVethPair(t)
	lt := newLinkTraffic(t, p)
	d := startLinkDaemon(t, p)
	d.waitUp(t, true)

	lt.dial(t, p, 4)
	const first, second = "first part, before the flap;", " second part, after it."
	held := lt.hold(t, p, first)
	testkit.WaitFor(t, "the connections in the flow tables", func() bool {
		n, err := scrape(p.A, d.metricsAddr, "tlsentry_flows_opened_total")
		return err == nil && n >= float64(len(lt.ports))
	})

	downAt := time.Now()
	p.A.NS.MustIP(t, "link", "set", p.A.Name, "down")
	d.waitUp(t, false)
	time.Sleep(3*time.Second - time.Since(downAt))
	p.A.NS.MustIP(t, "link", "set", p.A.Name, "up")
	d.waitUp(t, true)

	if _, err := io.WriteString(held, second); err != nil {
		t.Fatal(err)
	}
	held.Close()
	lt.dial(t, p, 4)
	testkit.WaitFor(t, "a flow line per connection", func() bool {
		return len(testkit.ReadEve(t, d.flowPath)) >= len(lt.ports)
	})
	if n := d.metric(t, "tlsentry_capture_link_flaps_total"); n != 1 {
		t.Errorf("tlsentry_capture_link_flaps_total %v, want 1", n)
	}
	down := d.metric(t, "tlsentry_capture_link_down_seconds_total")
	t.Logf("link down %.3fs by the metric, for a 3s flap", down)
	if down < 2.5 || down > 6 {
		t.Errorf("tlsentry_capture_link_down_seconds_total %v, want about 3", down)
	}
	if n := d.metric(t, "tlsentry_capture_reopens_total"); n != 0 {
		t.Errorf("tlsentry_capture_reopens_total %v, want 0 (a link down and up keeps its sockets)", n)
	}
	d.stop(t)

	byPort := lt.flowsByPort(t, d.flowPath)
	heldPort := held.LocalAddr().(*net.TCPAddr).AddrPort().Port()
	if l := byPort[heldPort]; string(l.Detail.Prefix) != first+second || l.Flow.Reason != "fin" || l.Detail.Midstream {
		t.Errorf("the connection open across the flap: prefix %q, reason %q, midstream %v; want %q, fin",
			l.Detail.Prefix, l.Flow.Reason, l.Detail.Midstream, first+second)
	}
	for _, want := range []string{`"msg":"capture: link down`, `"msg":"capture: link up, capturing"`, `"link_flaps":1`, `"kernel_drops":0`} {
		if !fileContains(d.logPath, want) {
			t.Errorf("the daemon's log lacks %s", want)
		}
	}
}

// TestRunLiveStartsWithoutItsLink starts the daemon while its interface
// is down, or does not exist: it starts (READY), says so, captures once
// the interface is up, and when the link goes down again SIGTERM still
// scores every flow in hand, the one still open included, and exits 0.
func TestRunLiveStartsWithoutItsLink(t *testing.T) {
	for _, tc := range []struct{ name, logged, warned string }{
		{"down", "capture: interface is down: starting anyway", `capture.interfaces[0]: warning: "veth-a" is down: run starts`},
		{"absent", "capture: interface does not exist: starting anyway", `capture.interfaces[0]: warning: "veth-a" does not exist here: run starts`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := netnstest.NewVethPair(t)
			if tc.name == "down" {
				p.A.NS.MustIP(t, "link", "set", p.A.Name, "down")
			} else {
				p.A.NS.MustIP(t, "link", "del", p.A.Name)
			}
			d := startLinkDaemon(t, p)
			if !fileContains(d.logPath, tc.logged) {
				t.Errorf("the daemon's log does not say %q", tc.logged)
			}
			if n := d.metric(t, "tlsentry_capture_link_up"); n != 0 {
				t.Errorf("tlsentry_capture_link_up %v before the link is up", n)
			}
			// check-config, in the same namespace, agrees: a warning, exit 0.
			self, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			check := p.A.NS.Command(self, "check-config", d.cfgPath)
			check.Env = append(os.Environ(), "TLSENTRY_TEST_MAIN=1")
			if out, err := check.CombinedOutput(); err != nil || !strings.Contains(string(out), tc.warned) {
				t.Errorf("check-config: %v\n%s\nwant exit 0 and the warning %q", err, out, tc.warned)
			}
			if tc.name == "down" {
				p.A.NS.MustIP(t, "link", "set", p.A.Name, "up")
			} else {
				p.Remake(t)
			}
			d.waitUp(t, true)

			lt := newLinkTraffic(t, p)
			lt.dial(t, p, 3)
			const first = "still open at shutdown"
			lt.hold(t, p, first)
			testkit.WaitFor(t, "the connections in the flow tables", func() bool {
				n, err := scrape(p.A, d.metricsAddr, "tlsentry_flows_opened_total")
				return err == nil && n >= float64(len(lt.ports))
			})
			p.A.NS.MustIP(t, "link", "set", p.A.Name, "down")
			d.waitUp(t, false)
			d.stop(t)

			byPort := lt.flowsByPort(t, d.flowPath)
			held := byPort[lt.ports[len(lt.ports)-1]]
			if string(held.Detail.Prefix) != first || held.Flow.Reason != "flush" || held.Verdict() == nil {
				t.Errorf("the connection open at shutdown: prefix %q, reason %q, verdict %v; want %q, flush, scored",
					held.Detail.Prefix, held.Flow.Reason, held.Verdict(), first)
			}
		})
	}
}
