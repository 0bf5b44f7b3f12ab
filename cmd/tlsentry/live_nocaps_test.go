//go:build linux

package main

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// TestRunLiveMissingCapability runs the daemon as the unit would, as an
// unprivileged user, but without one of the unit's capabilities at a
// time: it must refuse to start with an error that names the missing
// capability (not the kernel's bare "operation not permitted").
func TestRunLiveMissingCapability(t *testing.T) {
	p := netnstest.NewVethPair(t) // skips without root
	setpriv, dir, bin, _ := unprivilegedDir(t, "tlsentry-nocaps-")
	cfg := writeConfig(t, dir, map[string]string{
		"capture":  "  interfaces: [veth-a]\n  ports: [443]\n  workers: 1\n  ring_size_mb: 4\n  block_size_kb: 32\n  bpf: true\n",
		"detector": "  batch_timeout: 10ms\n", // the embedded model: readable by anyone
		"output":   "  alert_log: logs/alerts.json\n  flow_log: \"\"\n  log: \"\"\n",
	})
	os.Chmod(cfg, 0o644)

	// What each capability's absence must say; a capability not listed
	// is not needed to capture (the daemon must start without it).
	want := map[string]string{
		"bpf":     "capture.bpf: bpf: the kernel refused to load the eBPF socket filter (operation not permitted): it needs CAP_BPF",
		"net_raw": "opening an AF_PACKET socket needs CAP_NET_RAW",
	}
	unit := unitCapabilities(t)
	for _, missing := range unit {
		t.Run(missing, func(t *testing.T) {
			caps := "-all"
			for _, c := range unit {
				if c != missing {
					caps += ",+" + c
				}
			}
			args := asNobody(setpriv, caps, bin, "run", "-config", cfg)
			cmd := p.A.NS.Command(args[0], args[1:]...)
			cmd.Env = append(os.Environ(), "TLSENTRY_TEST_MAIN=1")
			var out testkit.LockedBuffer
			cmd.Stdout, cmd.Stderr = &out, &out
			exited := testkit.Start(t, cmd, func() { t.Logf("daemon output:\n%s", out.String()) })
			var err error
			started, ended := false, false
			testkit.WaitFor(t, "the daemon to start or exit", func() bool {
				select {
				case err = <-exited:
					ended = true
				default:
					started = strings.Contains(out.String(), `"msg":"started"`)
				}
				return ended || started
			})
			w, mustFail := want[missing]
			switch {
			case mustFail && started:
				t.Fatalf("started without CAP_%s", strings.ToUpper(missing))
			case mustFail && (err == nil || !strings.Contains(out.String(), w)):
				t.Errorf("without CAP_%s: %v, want an error with %q:\n%s", strings.ToUpper(missing), err, w, out.String())
			case mustFail && strings.Contains(out.String(), "MEMLOCK"):
				t.Errorf("without CAP_%s, the error blames MEMLOCK:\n%s", strings.ToUpper(missing), out.String())
			case !mustFail && ended:
				t.Errorf("without CAP_%s, which capture should not need: %v\n%s", strings.ToUpper(missing), err, out.String())
			case mustFail:
				t.Logf("without CAP_%s: %s", strings.ToUpper(missing), out.String())
			default:
				t.Logf("starts without CAP_%s", strings.ToUpper(missing))
				cmd.Process.Signal(syscall.SIGTERM)
				if err := <-exited; err != nil {
					t.Errorf("stop: %v\n%s", err, out.String())
				}
			}
		})
	}
}
