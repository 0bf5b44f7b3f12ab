package testkit

import (
	"context"
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os/exec"
	"strconv"
	"time"

	"github.com/tlsentry/tlsentry/internal/netnstest"
)

// Beacon is a client calling home in a loop, as an implant does: N
// connections, each followed by a sleep of Period × (1 ± Jitter), the
// share drawn uniformly (Seed makes the draws).
type Beacon struct {
	N      int
	Period time.Duration
	Jitter float64
	Seed   uint64
}

// sleeps are the beacon's N sleeps, drawn from its seed.
func (b Beacon) sleeps() []time.Duration {
	r := rand.New(rand.NewPCG(b.Seed, 0x6265))
	out := make([]time.Duration, b.N)
	for i := range out {
		out[i] = time.Duration(float64(b.Period) * (1 + b.Jitter*(2*r.Float64()-1)))
	}
	return out
}

// sleepList is the sleeps in seconds, space-separated, for a script.
func (b Beacon) sleepList() string {
	s := ""
	for i, d := range b.sleeps() {
		if i > 0 {
			s += " "
		}
		s += strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
	}
	return s
}

// CurlBeacon is a shell loop calling url with curl in l's namespace
// (host:port:address in resolve, as curl's --resolve takes it; the
// certificate is not checked), sleeping between calls. Curl's exit
// status is ignored: a server that is not HTTP still completes the TLS
// handshake. Start the command; it ends after the last sleep.
func CurlBeacon(l netnstest.Link, url, resolve string, b Beacon) *exec.Cmd {
	script := `for s in ` + b.sleepList() + `; do curl -sk --max-time 5 --resolve "$2" "$1" >/dev/null 2>&1; sleep "$s"; done`
	return l.NS.Command("sh", "-c", script, "curl-beacon", url, resolve)
}

// pythonBeacon is the Python client: the ssl module's default context
// (OpenSSL), certificate not checked, "hello" sent and 5 bytes read.
const pythonBeacon = `import socket, ssl, sys, time
host, port, sni = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
for s in sys.argv[4:]:
    try:
        with socket.create_connection((host, port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname=sni) as c:
                c.sendall(b"hello")
                c.recv(5)
    except OSError as e:
        print("beacon:", e, file=sys.stderr)
    time.sleep(float(s))
`

// PythonBeacon is a Python loop (python3's ssl module) calling addr with
// server name sni in l's namespace. Start the command; it ends after the
// last sleep.
func PythonBeacon(l netnstest.Link, addr netip.AddrPort, sni string, b Beacon) *exec.Cmd {
	args := []string{"-c", pythonBeacon, addr.Addr().String(), strconv.Itoa(int(addr.Port())), sni}
	for _, d := range b.sleeps() {
		args = append(args, strconv.FormatFloat(d.Seconds(), 'f', 3, 64))
	}
	return l.NS.Command("python3", args...)
}

// GoBeacon calls addr from l's namespace with crypto/tls (DialTLS: hello,
// world, close) N times, sleeping between calls, until done or ctx ends.
// It returns the first failed call's error (the loop goes on after it).
func GoBeacon(ctx context.Context, l netnstest.Link, addr netip.AddrPort, cfg *tls.Config, b Beacon) error {
	return b.Loop(ctx, func() error {
		_, err := DialTLS(l, addr, cfg)
		return err
	})
}

// Loop makes the beacon's N calls, sleeping between them, until done or
// ctx ends. It returns the first failed call's error (the loop goes on
// after it).
func (b Beacon) Loop(ctx context.Context, call func() error) error {
	var first error
	for i, d := range b.sleeps() {
		if err := call(); err != nil && first == nil {
			first = fmt.Errorf("call %d: %w", i+1, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
	}
	return first
}
