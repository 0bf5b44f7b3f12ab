package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/labset"
	"github.com/tlsentry/tlsentry/internal/testmodel"
)

// TestMain lets the test binary stand in for tlsentry in a child process
// (TLSENTRY_TEST_MAIN=1 and the command line after the binary), so that
// signal tests run the real main() without a go build.
func TestMain(m *testing.M) {
	if os.Getenv("TLSENTRY_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	code := m.Run()
	if trained.dir != "" {
		os.RemoveAll(trained.dir)
	}
	os.Exit(code)
}

// trained is the test hybrid model (internal/testmodel) written to a
// file, so that the daemon's tests do not hang on what the embedded
// default model makes of SSH.
var trained struct {
	once      sync.Once
	dir, path string
	err       error
}

func trainedModelFile(t *testing.T) string {
	t.Helper()
	trained.once.Do(func() {
		data, err := testmodel.Hybrid()
		if err != nil {
			trained.err = err
			return
		}
		if trained.dir, trained.err = os.MkdirTemp("", "tlsentry-model-"); trained.err != nil {
			return
		}
		trained.path = filepath.Join(trained.dir, "test.model")
		trained.err = os.WriteFile(trained.path, data, 0o644)
	})
	if trained.err != nil {
		t.Fatalf("training the test model: %v", trained.err)
	}
	return trained.path
}

// writeConfig writes a daemon configuration into dir: the test model,
// the logs in dir, no metrics endpoint, then extra YAML sections (which
// replace the defaults written here when they name the same section).
func writeConfig(t *testing.T, dir string, sections map[string]string) string {
	t.Helper()
	base := map[string]string{
		"sensor":   "  name: e2e-sensor\n",
		"capture":  "  workers: 2\n",
		"detector": "  model: " + trainedModelFile(t) + "\n  batch_timeout: 10ms\n",
		"output":   "  alert_log: alerts.json\n  flow_log: flows.json\n  include_prefix: true\n  log: tlsentry.log\n  log_level: debug\n",
		"metrics":  "  listen: \"\"\n",
		// Every alert record written: the rate limit has tests of its own.
		"alerts": "  rate_limit: []\n",
	}
	for k, v := range sections {
		base[k] = v
	}
	var b strings.Builder
	for _, k := range []string{"sensor", "capture", "flow", "detector", "allowlist", "blocklist", "alerts", "beacon", "output", "metrics"} {
		if v, ok := base[k]; ok {
			fmt.Fprintf(&b, "%s:\n%s", k, v)
		}
	}
	path := filepath.Join(dir, "tlsentry.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// fileContains reports whether the file at path holds s.
func fileContains(path, s string) bool {
	data, _ := os.ReadFile(path)
	return strings.Contains(string(data), s)
}

// sshCapture writes n SSH-on-443 labset flows from 10.<net>.0.i, the
// first starting at start, as a pcap; it returns the file's bytes.
func sshCapture(t *testing.T, n int, seed uint64, net byte, start time.Time) []byte {
	t.Helper()
	return labCapture(t, labset.NonTLSSSH, n, seed, net, start)
}

// labCapture is sshCapture with flows of the given labset kind.
func labCapture(t *testing.T, kind string, n int, seed uint64, net byte, start time.Time) []byte {
	t.Helper()
	convs, err := labset.Conversations(context.Background(), kind, n, seed)
	if err != nil {
		t.Fatal(err)
	}
	var flows [][]capgen.Packet
	for i, conv := range convs {
		spec := capgen.FlowSpec{
			Client:    netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, net, 0, byte(i + 1)}), uint16(41000+i)),
			Server:    netip.MustParseAddrPort("192.0.2.1:443"),
			Start:     start.Add(time.Duration(i) * 100 * time.Millisecond),
			ClientISN: uint32(1000 * (i + 1)), ServerISN: uint32(9000 * (i + 1)),
			Handshake: true, Close: capgen.CloseFIN, ACKs: true,
		}
		pkts, err := spec.Packets(conv)
		if err != nil {
			t.Fatal(err)
		}
		flows = append(flows, pkts)
	}
	path := filepath.Join(t.TempDir(), "ssh.pcap")
	if err := capgen.WriteFile(path, capgen.Merge(flows...)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
