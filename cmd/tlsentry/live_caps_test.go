//go:build linux

package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// TestRunLiveWithUnitCapabilities runs the daemon as it runs under the
// systemd unit: an unprivileged user holding only the unit's ambient
// capabilities, with no_new_privs, capturing live with the eBPF filter,
// in promiscuous mode, with two workers (so the eBPF fanout program
// loads too). It must start, score a TLS connection and stop cleanly on
// SIGTERM.
func TestRunLiveWithUnitCapabilities(t *testing.T) {
	p := netnstest.NewVethPair(t)
	cert := serverCert(t)
	tlsAddr, _ := liveServers(t, p.B, &tls.Config{Certificates: []tls.Certificate{cert}})

	// Everything the unprivileged daemon reads must be readable by it.
	setpriv, dir, bin, logs := unprivilegedDir(t, "tlsentry-caps-")
	modelCopy := filepath.Join(dir, "test.model")
	copyFile(t, trainedModelFile(t), modelCopy, 0o644)
	cfg := writeConfig(t, dir, map[string]string{
		"capture":  "  interfaces: [veth-a]\n  ports: [443]\n  workers: 2\n  ring_size_mb: 4\n  block_size_kb: 32\n  bpf: true\n  promiscuous: true\n",
		"detector": "  model: test.model\n  batch_timeout: 10ms\n",
		"output":   "  alert_log: logs/alerts.json\n  flow_log: logs/flows.json\n  log: logs/tlsentry.log\n",
	})
	os.Chmod(cfg, 0o644)

	caps := strings.Join(unitCapabilities(t), ",+")
	args := asNobody(setpriv, "-all,+"+caps, bin, "run", "-config", cfg)
	cmd := p.A.NS.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "TLSENTRY_TEST_MAIN=1")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	exited := testkit.Start(t, cmd, nil)
	logPath := filepath.Join(logs, "tlsentry.log")
	testkit.WaitFor(t, "the daemon to start", func() bool {
		select {
		case err := <-exited:
			t.Fatalf("the daemon exited (%v) with the unit's capabilities %s:\n%s", err, caps, out.String())
		default:
		}
		return fileContains(logPath, `"msg":"started"`)
	})
	if _, err := dialTLSFrom(p.A, tlsAddr, tlsClientConfig(t, cert, "www.tlsentry.test")); err != nil {
		t.Fatal(err)
	}
	flowPath := filepath.Join(logs, "flows.json")
	testkit.WaitFor(t, "the connection scored", func() bool { return len(testkit.ReadEve(t, flowPath)) == 1 })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("daemon exited with %v:\n%s", err, out.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("the daemon did not stop after SIGTERM")
	}
	if !fileContains(logPath, `"msg":"stopped"`) {
		t.Errorf("no clean stop in the log")
	}
	if fileContains(logPath, "fanout program did not load") {
		t.Errorf("the fanout program did not load with the unit's capabilities")
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(fmt.Errorf("copy %s: %w", to, err))
	}
}
