package sdnotify

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// listen opens a unix datagram socket at addr, as systemd does.
func listen(t *testing.T, addr string) *net.UnixConn {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func receive(t *testing.T, c *net.UnixConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func TestNotifyPathAndAbstractSockets(t *testing.T) {
	for name, addr := range map[string]string{
		"path":     filepath.Join(t.TempDir(), "notify"),
		"abstract": fmt.Sprintf("@tlsentry-sdnotify-test-%d", os.Getpid()),
	} {
		t.Run(name, func(t *testing.T) {
			c := listen(t, addr)
			t.Setenv(SocketEnv, addr)
			for _, state := range []string{Ready, Stopping} {
				sent, err := Notify(state)
				if err != nil || !sent {
					t.Fatalf("Notify(%q) = %v, %v", state, sent, err)
				}
				if got := receive(t, c); got != state {
					t.Errorf("received %q, want %q", got, state)
				}
			}
		})
	}
}

func TestReloadingCarriesMonotonicTime(t *testing.T) {
	addr := filepath.Join(t.TempDir(), "notify")
	c := listen(t, addr)
	before := monotonicNow()
	if _, err := NotifySocket(addr, Reloading()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(receive(t, c), "\n")
	if len(lines) != 2 || lines[0] != "RELOADING=1" || !strings.HasPrefix(lines[1], "MONOTONIC_USEC=") {
		t.Fatalf("received %q", lines)
	}
	usec, err := strconv.ParseInt(strings.TrimPrefix(lines[1], "MONOTONIC_USEC="), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if after := monotonicNow(); usec < before.Microseconds() || usec > after.Microseconds() {
		t.Errorf("MONOTONIC_USEC=%d not between %d and %d", usec, before.Microseconds(), after.Microseconds())
	}
}

func TestNotifyWithoutSocket(t *testing.T) {
	t.Setenv(SocketEnv, "")
	if sent, err := Notify(Ready); sent || err != nil {
		t.Errorf("Notify without %s = %v, %v; want false, nil", SocketEnv, sent, err)
	}
	if _, err := NotifySocket("relative/path", Ready); err == nil {
		t.Error("a relative socket path was accepted")
	}
	if _, err := NotifySocket(filepath.Join(t.TempDir(), "nobody-listens"), Ready); err == nil {
		t.Error("sending to a missing socket did not fail")
	}
}
