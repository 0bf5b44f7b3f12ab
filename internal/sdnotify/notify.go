package sdnotify

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// States the daemon sends (see sd_notify(3)).
const (
	Ready     = "READY=1"
	Stopping  = "STOPPING=1"
	reloading = "RELOADING=1"
)

// SocketEnv is the environment variable systemd names the socket in.
const SocketEnv = "NOTIFY_SOCKET"

// Notify sends state to the socket named by $NOTIFY_SOCKET. It reports
// whether anything was sent: false with a nil error when the variable is
// unset (not under systemd).
func Notify(state string) (bool, error) {
	return NotifySocket(os.Getenv(SocketEnv), state)
}

// NotifySocket sends state to the datagram socket at addr: a file system
// path, or "@name" for the abstract socket name. An empty addr sends
// nothing and returns false.
func NotifySocket(addr, state string) (bool, error) {
	if addr == "" {
		return false, nil
	}
	if addr[0] != '/' && addr[0] != '@' {
		return false, fmt.Errorf("sdnotify: %s=%q is neither a path nor an abstract socket (@name)", SocketEnv, addr)
	}
	// The syscall package turns a leading '@' into the NUL byte that
	// starts an abstract socket name on Linux.
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		return false, fmt.Errorf("sdnotify: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(state)); err != nil {
		return false, fmt.Errorf("sdnotify: send %q: %w", state, err)
	}
	return true, nil
}

// Reloading is the state that starts a reload: RELOADING=1 with the
// CLOCK_MONOTONIC time in microseconds, which systemd (Type=notify-reload,
// and since 253 for ExecReload too) uses to match the READY=1 that ends
// it.
func Reloading() string {
	return reloading + "\nMONOTONIC_USEC=" + strconv.FormatInt(monotonicNow().Microseconds(), 10)
}

// monotonicNow reads CLOCK_MONOTONIC, the clock systemd compares with.
func monotonicNow() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0 // only on a kernel without CLOCK_MONOTONIC
	}
	return time.Duration(ts.Nano())
}
