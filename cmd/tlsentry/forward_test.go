package main

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/testkit"
)

const rsyslogSnippet = "../../configs/rsyslog-tlsentry.conf"

// TestForwardAlertsThroughRsyslog ships the alert log through a real
// rsyslogd running the README's recipe (configs/rsyslog-tlsentry.conf:
// imfile, then omfwd over TCP) to a collector of the test's own, while
// the daemon writes it and the log is rotated twice: by the daemon itself
// (output.rotate_size_mb) and by a move and SIGUSR1 (as logrotate does).
// Every alert written must arrive exactly once, byte for byte.
func TestForwardAlertsThroughRsyslog(t *testing.T) {
	rsyslogd, err := lookSystemCommand("rsyslogd")
	if err != nil {
		t.Skip("rsyslogd not installed (Debian: apt-get install rsyslog; .ci/run installs it): alert forwarding is not tested")
	}
	if testing.Short() {
		t.Skip("-short: the forwarding test takes a few seconds")
	}
	dir := t.TempDir()
	col := startCollector(t)
	stopRsyslog := startRsyslog(t, rsyslogd, dir, col.addr())

	d := startFIFODaemon(t, dir, map[string]string{
		// One line per SSH flow's strongest finding is enough here: the
		// weaker ones would only multiply the rotations.
		"alerts": "  rate_limit:\n    - {signature_id: 8100025, track: by_signature, count: 1, window: 1h}\n" +
			"    - {signature_id: 8100024, track: by_signature, count: 1, window: 1h}\n    - {signature_id: 8100020, track: by_signature, count: 1, window: 1h}\n",
		"output": "  alert_log: alerts.json\n  flow_log: flows.json\n  include_prefix: true\n  log: tlsentry.log\n" +
			"  rotate_size_mb: 1\n  max_backups: 10\n",
	})
	start := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	// A few alerts first: once they arrive, rsyslog follows the file.
	d.feed(t, sshCapture(t, 5, 61, 90, start), 5)
	col.waitFor(t, 5)

	// Enough alerts for the daemon to rotate at 1 MB, then a move and
	// SIGUSR1, then more.
	d.feed(t, sshCapture(t, 600, 62, 91, start.Add(time.Minute)), 605)
	if _, err := os.Stat(filepath.Join(dir, "alerts.json.1")); err != nil {
		t.Fatalf("the daemon did not rotate its alert log by size: %v", err)
	}
	if err := os.Rename(filepath.Join(dir, "alerts.json"), filepath.Join(dir, "alerts.json-moved")); err != nil {
		t.Fatal(err)
	}
	d.signal(t, syscall.SIGUSR1, `"msg":"logs reopened"`)
	d.feed(t, sshCapture(t, 200, 63, 92, start.Add(2*time.Minute)), 805)
	d.stop(t)

	sent := logLines(t, dir, "alerts.json")
	if len(sent) < 805 {
		t.Fatalf("%d alerts written for 805 flows", len(sent))
	}
	col.waitFor(t, len(sent))
	stopRsyslog() // what it had still to send is in, or it never will be
	got := col.close()
	counts := map[string]int{}
	for _, l := range sent {
		counts[l]++
	}
	for _, l := range got {
		counts[l]--
	}
	lost, doubled := 0, 0
	for l, n := range counts {
		switch {
		case n > 0:
			lost += n
			if lost <= 3 {
				t.Errorf("lost: %.200s", l)
			}
		case n < 0:
			doubled -= n
			if doubled <= 3 {
				t.Errorf("extra or doubled: %.200s", l)
			}
		}
	}
	t.Logf("%d alerts written (%d bytes in %d files), %d received, %d lost, %d extra", len(sent), bytesOf(sent), countFiles(t, dir, "alerts.json*"), len(got), lost, doubled)
	if lost+doubled > 0 {
		t.Errorf("%d alerts lost and %d extra on the way through rsyslog", lost, doubled)
	}
}

// startRsyslog runs rsyslogd in the foreground with the shipped snippet,
// pointed at dir's alert log and at the collector at addr, its state in
// dir. The returned function stops it (SIGTERM), as the test's end does.
func startRsyslog(t *testing.T, rsyslogd, dir, addr string) (stop func()) {
	t.Helper()
	data, err := os.ReadFile(rsyslogSnippet)
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(addr)
	snippet := string(data)
	for _, r := range [][2]string{
		{`file="/var/log/tlsentry/alerts.json"`, `file="` + filepath.Join(dir, "alerts.json") + `"`},
		{`target="collector.example.net" port="514"`, `target="` + host + `" port="` + port + `"`},
	} {
		if strings.Count(snippet, r[0]) != 1 {
			t.Fatalf("%s no longer says %s once", rsyslogSnippet, r[0])
		}
		snippet = strings.Replace(snippet, r[0], r[1], 1)
	}
	work := filepath.Join(dir, "rsyslog")
	if err := os.Mkdir(work, 0o700); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	include := write("60-tlsentry.conf", snippet)
	conf := write("rsyslog.conf", "global(workDirectory=\""+work+"\")\ninclude(file=\""+include+"\")\n")
	if out, err := exec.Command(rsyslogd, "-N1", "-f", conf).CombinedOutput(); err != nil {
		t.Fatalf("rsyslogd -N1 refuses the snippet: %v\n%s", err, out)
	}
	cmd := exec.Command(rsyslogd, "-n", "-f", conf, "-i", filepath.Join(dir, "rsyslogd.pid"))
	var out testkit.LockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	exited := testkit.Start(t, cmd, func() { t.Logf("rsyslogd:\n%s", out.String()) })
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(30 * time.Second):
				t.Errorf("rsyslogd did not stop on SIGTERM:\n%s", out.String())
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// collector is a syslog receiver over TCP (one message per line, RFC
// 5424), keeping each message's MSG.
type collector struct {
	ln   net.Listener
	wg   sync.WaitGroup // the accept loop and the connections
	once sync.Once
	mu   sync.Mutex
	msgs []string
	bad  []string
}

func startCollector(t *testing.T) *collector {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{ln: ln}
	c.wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return // closed
			}
			c.wg.Go(func() { c.read(conn) })
		}
	})
	t.Cleanup(func() { c.close() })
	return c
}

// close stops listening, waits for the senders to hang up and returns
// every message received.
func (c *collector) close() []string {
	c.once.Do(func() {
		c.ln.Close()
		c.wg.Wait()
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.msgs
}

func (c *collector) addr() string { return c.ln.Addr().String() }

// read keeps the MSG of each line: after PRI+VERSION, TIMESTAMP,
// HOSTNAME, APP-NAME, PROCID, MSGID and STRUCTURED-DATA ("-").
func (c *collector) read(conn net.Conn) {
	defer conn.Close()
	sc := bufio.NewScanner(conn)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		f := strings.SplitN(line, " ", 8)
		c.mu.Lock()
		if len(f) == 8 && strings.HasSuffix(f[0], ">1") && f[3] == "tlsentry" && f[6] == "-" {
			c.msgs = append(c.msgs, f[7])
		} else {
			c.bad = append(c.bad, line)
		}
		c.mu.Unlock()
	}
}

// waitFor waits until n messages have come; it fails on a line that is
// not the syslog message the recipe sends.
func (c *collector) waitFor(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		c.mu.Lock()
		msgs, bad := len(c.msgs), append([]string(nil), c.bad...)
		c.mu.Unlock()
		if len(bad) > 0 {
			t.Fatalf("the collector got a line it cannot read: %.300s", bad[0])
		}
		if msgs >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the collector got %d messages, want %d", msgs, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func countFiles(t *testing.T, dir, pattern string) int {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}

func bytesOf(lines []string) int {
	n := 0
	for _, l := range lines {
		n += len(l) + 1
	}
	return n
}

// lookSystemCommand finds a daemon's command on PATH or where Debian puts
// it (/usr/sbin, which a user's PATH may lack).
func lookSystemCommand(name string) (string, error) {
	path, err := exec.LookPath(name)
	if err == nil {
		return path, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		if p, err2 := exec.LookPath(filepath.Join(dir, name)); err2 == nil {
			return p, nil
		}
	}
	return "", err
}
