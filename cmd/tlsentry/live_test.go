//go:build linux

package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// TestRunLiveInNetns is the daemon end to end: real TLS (crypto/tls, and
// openssl s_client and curl when installed) and SSH-on-443 connections
// across a veth pair, the daemon capturing on one end with the eBPF
// filter, in a child process that gets real signals:
//
//   - while the threshold is 1000 nothing alerts, and the flow log gives
//     every flow's score; the threshold half way between the Go TLS flows
//     and the SSH flows goes in by SIGHUP;
//   - after it, exactly the SSH flows alert (openssl and curl, whose
//     hellos the test model never saw, are allowlisted by SNI);
//   - a bad file on SIGHUP is refused and the threshold stays;
//   - SIGTERM with a connection still open: the daemon scores it (end
//     reason flush) and every finished flow, tells systemd STOPPING and
//     exits 0, with no packet lost in the kernel.
func TestRunLiveInNetns(t *testing.T) {
	p := netnstest.NewVethPair(t)
	cert := serverCert(t)
	tlsAddr, sshAddr := liveServers(t, p.B, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}})
	clientCfg := tlsClientConfig(t, cert, "www.tlsentry.test")

	dir := t.TempDir()
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t, p.A))
	detector := "  model: " + trainedModelFile(t) + "\n  batch_timeout: 10ms\n"
	sections := map[string]string{
		"capture":   "  interfaces: [veth-a]\n  ports: [443]\n  workers: 2\n  ring_size_mb: 4\n  block_size_kb: 32\n  bpf: true\n",
		"detector":  detector + "  threshold: 1000\n",
		"allowlist": "  sni_suffixes: [allowed.tlsentry.test]\n",
		"metrics":   "  listen: " + metricsAddr + "\n",
		"output":    "  alert_log: alerts.json\n  flow_log: flows.json\n  tls_log: tls.json\n  include_prefix: true\n  log: tlsentry.log\n  log_level: debug\n",
	}
	cfg := writeConfig(t, dir, sections)
	logPath, alertPath, flowPath := filepath.Join(dir, "tlsentry.log"), filepath.Join(dir, "alerts.json"), filepath.Join(dir, "flows.json")
	cmd, exited, notes, stderr := startNotifiedDaemon(t, p.A.NS, dir, cfg, logPath)
	signal := func(sig syscall.Signal) {
		t.Helper()
		// ip netns exec runs the daemon as its own process (exec, no fork).
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
	}

	type conn struct {
		port uint16
		ssh  bool
	}
	var conns []conn
	connect := func(tlsN, sshN int) {
		t.Helper()
		for range tlsN {
			port, err := dialTLSFrom(p.A, tlsAddr, clientCfg)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, conn{port, false})
		}
		for range sshN {
			port, _, err := dialSSHFrom(p.A, sshAddr, false)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, conn{port, true})
		}
	}
	others := 0 // openssl and curl connections
	waitFlows := func() []testkit.EveLine {
		t.Helper()
		var lines []testkit.EveLine
		testkit.WaitFor(t, fmt.Sprintf("%d flow lines", len(conns)+others), func() bool {
			lines = testkit.ReadEve(t, flowPath)
			return len(lines) >= len(conns)+others
		})
		return lines
	}

	// Phase 1: scores at threshold 1000, nothing alerts.
	connect(4, 3)
	maxTLS, minSSH := 0.0, 1e300
	for _, l := range waitFlows() {
		i := slices.IndexFunc(conns, func(c conn) bool { return c.port == l.SrcPort })
		if i < 0 || l.Verdict() == nil || l.Verdict().Alert {
			t.Fatalf("unexpected flow line %+v", l)
		}
		if conns[i].ssh {
			minSSH = min(minSSH, l.Verdict().Score)
		} else {
			maxTLS = max(maxTLS, l.Verdict().Score)
		}
	}
	if maxTLS >= minSSH {
		t.Fatalf("the test model does not separate live Go TLS (up to %v) from SSH (from %v)", maxTLS, minSSH)
	}
	threshold := (maxTLS + minSSH) / 2
	t.Logf("live scores: Go TLS up to %.3f, SSH from %.3f: threshold %.3f", maxTLS, minSSH, threshold)
	sections["detector"] = detector + fmt.Sprintf("  threshold: %v\n", threshold)
	writeConfig(t, dir, sections)
	signal(syscall.SIGHUP)
	notes.expectPrefix(t, "RELOADING=1\nMONOTONIC_USEC=")
	notes.expect(t, "READY=1")
	if !fileContains(logPath, `"msg":"configuration reloaded"`) {
		t.Fatal("the reload is not logged")
	}

	// Phase 2: exactly the SSH flows alert.
	phase2 := len(conns)
	connect(4, 3)
	for _, c := range [][]string{
		{"openssl", "s_client", "-connect", tlsAddr.String(), "-servername", "allowed.tlsentry.test", "-quiet"},
		{"curl", "-sk", "--max-time", "5", "--resolve", "allowed.tlsentry.test:443:" + tlsAddr.Addr().String(), "https://allowed.tlsentry.test/"},
	} {
		if _, err := exec.LookPath(c[0]); err != nil {
			t.Logf("%s not installed: no %s client", c[0], c[0])
			continue
		}
		run := p.A.NS.Command(c[0], c[1:]...)
		run.Stdin = strings.NewReader("hello")
		run.Run() // our server is not HTTP: curl's exit status is an error
		others++
	}
	lines := waitFlows()
	suppressed := 0
	for _, l := range lines {
		if l.TLS != nil && l.TLS.SNI == "allowed.tlsentry.test" {
			if l.Verdict().Alert {
				t.Errorf("an allowlisted flow alerted: %+v", l.Verdict())
			}
			if l.Verdict().Suppressed != "" {
				suppressed++
			}
		}
	}
	var wantAlerts []uint16
	for _, c := range conns[phase2:] {
		if c.ssh {
			wantAlerts = append(wantAlerts, c.port)
		}
	}
	alertRecords := 0
	checkAlerts := func(want []uint16) {
		t.Helper()
		var got []uint16 // flows alerted on (one or more alert records each)
		alertRecords = 0
		// The flow lines are in; the alert log is another file, whose
		// buffer evelog writes up to 100 ms later: wait for every alert
		// the daemon counted.
		testkit.WaitFor(t, "the alert log to hold every alert counted", func() bool {
			n, err := scrape(p.A, metricsAddr, "tlsentry_alerts_total")
			return err == nil && lineCount(alertPath) >= int(n)
		})
		for _, a := range testkit.ReadEve(t, alertPath) {
			alertRecords++
			if !slices.Contains(got, a.SrcPort) {
				got = append(got, a.SrcPort)
			}
			if a.Verdict().Threshold != threshold || a.AppProto != "ssh" || a.Host != "e2e-sensor" {
				t.Errorf("alert %+v", a)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("alerts from client ports %v, want the SSH flows' %v", got, want)
		}
	}
	checkAlerts(wantAlerts)
	t.Logf("%d openssl/curl flows, %d of them over the threshold and suppressed", others, suppressed)

	// A bad file is refused: the threshold stays.
	os.WriteFile(cfg, []byte("detector:\n  threshold: 1000\n  bogus: 1\n"), 0o644)
	signal(syscall.SIGHUP)
	notes.expectPrefix(t, "RELOADING=1")
	notes.expect(t, "READY=1")
	if !fileContains(logPath, "configuration reload refused") {
		t.Fatal("the refused reload is not logged")
	}
	phase3 := len(conns)
	connect(2, 2)
	waitFlows()
	for _, c := range conns[phase3:] {
		if c.ssh {
			wantAlerts = append(wantAlerts, c.port)
		}
	}
	checkAlerts(wantAlerts)

	// Counted before the held-open SSH connection, which alerts once
	// decided (a second after its client holds still).
	if n, _ := scrape(p.A, metricsAddr, "tlsentry_alerts_total"); n != float64(alertRecords) {
		t.Errorf("tlsentry_alerts_total %v, want the %d alert records", n, alertRecords)
	}
	if n, _ := scrape(p.A, metricsAddr, "tlsentry_config_last_reload_successful"); n != 0 {
		t.Errorf("tlsentry_config_last_reload_successful %v after a refused reload", n)
	}
	if n, _ := scrape(p.A, metricsAddr, `tlsentry_alerts_suppressed_total{reason="sni_suffix"}`); n != float64(suppressed) {
		t.Errorf("suppressed by sni_suffix: metric %v, flow log %d", n, suppressed)
	}

	// SIGTERM with a connection open.
	openPort, open, err := dialSSHFrom(p.A, sshAddr, true)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	total := float64(len(conns) + others + 1)
	testkit.WaitFor(t, "the open connection in the flow table", func() bool {
		n, err := scrape(p.A, metricsAddr, "tlsentry_flows_opened_total")
		return err == nil && n >= total
	})
	checkOperatorMetrics(t, p.A, metricsAddr, trainedModelFile(t), "veth-a", threshold, 1)
	signal(syscall.SIGTERM)
	notes.expect(t, "STOPPING=1")
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("daemon exited with %v\n%s", err, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("the daemon did not stop after SIGTERM")
	}
	lines = testkit.ReadEve(t, flowPath)
	if len(lines) != len(conns)+others+1 {
		t.Errorf("%d flow lines after SIGTERM, want every connection (%d)", len(lines), len(conns)+others+1)
	}
	// Every TLS session has its tls record, with the capture interface,
	// as every flow line has.
	flowRecs := readJSONLines(t, flowPath)
	if n := checkTLSRecords(t, flowRecs, readJSONLines(t, filepath.Join(dir, "tls.json")), "e2e-sensor"); n < 8 {
		t.Errorf("%d tls records, want one per TLS connection (at least the 8 Go TLS ones)", n)
	}
	for _, r := range flowRecs {
		if r["in_iface"] != "veth-a" {
			t.Errorf("flow line %v with in_iface %v", r["flow_id"], r["in_iface"])
		}
	}
	i := slices.IndexFunc(lines, func(l testkit.EveLine) bool { return l.SrcPort == openPort })
	// SSH held open on 443 is decided by its bytes once the client holds
	// still a second (early verdicts), or flushed at shutdown if SIGTERM
	// came sooner: either way scored, once.
	if i < 0 || (lines[i].Flow.Reason != "flush" && lines[i].Flow.Reason != "decided") || lines[i].Verdict() == nil {
		t.Errorf("the open connection was not scored while open or at shutdown (line %d)", i)
	}
	if !fileContains(logPath, `"kernel_drops":0`) || !fileContains(logPath, `"bpf_passed":`) {
		data, _ := os.ReadFile(logPath)
		t.Errorf("the stop line lacks the capture's counters, or the kernel dropped packets:\n%s", data)
	}
}

// startNotifiedDaemon runs `tlsentry run -config cfg` in ns as systemd
// would, with a notification socket in dir, and waits for READY=1. Its
// output and its log (logPath) are shown if the test fails or it is
// killed at the end.
func startNotifiedDaemon(t *testing.T, ns *netnstest.NS, dir, cfg, logPath string) (*exec.Cmd, <-chan error, *notifySocket, *strings.Builder) {
	t.Helper()
	notes := listenNotify(t, filepath.Join(dir, "notify"))
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := ns.Command(self, "run", "-config", cfg)
	cmd.Env = append(os.Environ(), "TLSENTRY_TEST_MAIN=1", "NOTIFY_SOCKET="+notes.path)
	out := new(strings.Builder)
	cmd.Stdout, cmd.Stderr = out, out
	exited := testkit.Start(t, cmd, func() {
		data, _ := os.ReadFile(logPath)
		t.Logf("daemon output:\n%s\ndaemon log:\n%s", out.String(), data)
	})
	notes.expect(t, "READY=1")
	return cmd, exited, notes, out
}

// notifySocket is a stand-in for systemd's notification socket.
type notifySocket struct {
	path string
	msgs chan string
}

func listenNotify(t *testing.T, path string) *notifySocket {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	n := &notifySocket{path: path, msgs: make(chan string, 64)}
	go func() {
		buf := make([]byte, 4096)
		for {
			k, err := c.Read(buf)
			if err != nil {
				return
			}
			n.msgs <- string(buf[:k])
		}
	}()
	return n
}

func (n *notifySocket) next(t *testing.T) string {
	t.Helper()
	select {
	case m := <-n.msgs:
		return m
	case <-time.After(time.Minute):
		t.Fatal(errNotifyTimeout)
		return ""
	}
}

func (n *notifySocket) expect(t *testing.T, want string) {
	t.Helper()
	if got := n.next(t); got != want {
		t.Fatalf("systemd notification %q, want %q", got, want)
	}
}

func (n *notifySocket) expectPrefix(t *testing.T, want string) {
	t.Helper()
	if got := n.next(t); !strings.HasPrefix(got, want) {
		t.Fatalf("systemd notification %q, want %q...", got, want)
	}
}
