//go:build linux

package netnstest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// NS is a network namespace made for a test (by `ip netns add`), removed
// when the test ends.
type NS struct {
	Name string
}

var nsSeq atomic.Uint32

// Require skips t unless it runs as root with iproute2's ip installed.
func Require(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces and veth interfaces")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2 (ip) to create network namespaces")
	}
}

// New makes an empty network namespace with its loopback up. It skips t
// when namespaces cannot be made here (Require, or `ip netns add` fails,
// as in a container without the right to mount).
func New(t testing.TB) *NS {
	t.Helper()
	Require(t)
	ns := &NS{Name: fmt.Sprintf("tlsentry-%d-%d", os.Getpid(), nsSeq.Add(1))}
	if out, err := exec.Command("ip", "netns", "add", ns.Name).CombinedOutput(); err != nil {
		t.Skipf("network namespaces unavailable: ip netns add: %v: %s", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", ns.Name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", ns.Name, err, bytes.TrimSpace(out))
		}
	})
	ns.MustIP(t, "link", "set", "lo", "up")
	return ns
}

// IP runs `ip -n NAME args...`.
func (ns *NS) IP(args ...string) error {
	out, err := exec.Command("ip", append([]string{"-n", ns.Name}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip -n %s %v: %w: %s", ns.Name, args, err, bytes.TrimSpace(out))
	}
	return nil
}

// MustIP runs IP and fails t on error.
func (ns *NS) MustIP(t testing.TB, args ...string) {
	t.Helper()
	if err := ns.IP(args...); err != nil {
		t.Fatal(err)
	}
}

// Command returns a command that runs name inside the namespace
// (through `ip netns exec`).
func (ns *NS) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns.Name, name}, args...)...)
}

// Do runs f on an OS thread of its own that has entered the namespace,
// and returns f's error. Sockets f creates belong to the namespace and
// stay there, so they may be used from any goroutine afterwards; but
// goroutines f starts run outside it. The thread is discarded after f.
func (ns *NS) Do(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		// Never unlocked: the thread ends with this goroutine, so no other
		// goroutine can land in the namespace by accident.
		runtime.LockOSThread()
		if err := ns.enter(); err != nil {
			errc <- err
			return
		}
		errc <- f()
	}()
	return <-errc
}

func (ns *NS) enter() error {
	fd, err := unix.Open("/run/netns/"+ns.Name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open namespace %s: %w", ns.Name, err)
	}
	defer unix.Close(fd)
	if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("enter namespace %s: %w", ns.Name, err)
	}
	return nil
}
