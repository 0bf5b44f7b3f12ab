//go:build linux

package main

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/exeimage"
	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// TestStagerOnTLSPortInNetns: a stager's handler on port 443 sends its
// payload (a 4-byte length, then a Windows program) as soon as the stager
// connects, and the stager holds the connection open without a byte of
// its own. The live daemon, with the embedded default model at its own
// threshold, alerts on it at once (the prefix fills with the stage:
// decided), saying that the server spoke first and what it sent.
func TestStagerOnTLSPortInNetns(t *testing.T) {
	stagerAlerts(t, 443, "[443]", "the server spoke first")
}

// TestStagerOnOtherPortInNetns: the same handler on port 4444 (Metasploit's
// default LPORT), which the sensor watches beside 443 but which is no TLS
// port: the stage decides the flow as on 443, and the alert says that
// the connection opened with a program from its server.
func TestStagerOnOtherPortInNetns(t *testing.T) {
	stagerAlerts(t, 4444, "[443, 4444]", "the connection opened with a program from its server")
}

// stagerAlerts runs a stager's handler on port, the daemon watching
// ports, and wants the stager's connection decided and alerted at once,
// with a reason that contains why.
func stagerAlerts(t *testing.T, port uint16, ports, why string) {
	p := netnstest.NewVethPair(t)
	stage := make([]byte, 20000)
	rand.Read(stage)
	exeimage.WritePE(stage, exeimage.PEHeaderAt)
	server := testkit.ServeTCP(t, p.B, netip.AddrPortFrom(p.B.Addr4, port), func(c net.Conn) {
		c.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(stage))))
		c.Write(stage)
		io.Copy(io.Discard, c) // then waits for the stage to call home
	})
	alertPath := startDefaultOn(t, p, ports)

	c := dialFrom(t, p.A, server)
	connected := time.Now()
	if _, err := io.ReadFull(c, make([]byte, 4+len(stage))); err != nil {
		t.Fatal(err)
	}
	srcPort := c.LocalAddr().(*net.TCPAddr).AddrPort().Port()
	l := firstAlertFrom(t, alertPath, srcPort, fmt.Sprintf("a stage sent by a server on %d", port))
	v := l.Verdict()
	t.Logf("alert %v after the connection, %s, %s: %.1f bits of %.1f; %q", time.Since(connected).Round(time.Millisecond), l.Flow.Reason, l.AppProto, v.Score, v.Threshold, v.Reasons)
	if l.Flow.Reason != "decided" || l.AppProto != "executable" || !strings.Contains(strings.Join(v.Reasons, "\n"), why) {
		t.Errorf("alert: reason %q, app_proto %q, reasons %q", l.Flow.Reason, l.AppProto, v.Reasons)
	}
}
