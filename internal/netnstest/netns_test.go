//go:build linux

package netnstest

import (
	"io"
	"net"
	"net/netip"
	"testing"
)

// echoOnce listens in l's namespace and answers one connection by echoing it.
func echoOnce(t *testing.T, l Link) netip.AddrPort {
	t.Helper()
	var ln net.Listener
	if err := l.NS.Do(func() (err error) {
		ln, err = net.Listen("tcp", netip.AddrPortFrom(l.Addr4, 0).String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c)
	}()
	return ln.Addr().(*net.TCPAddr).AddrPort()
}

// roundTrip dials addr from l's namespace and checks the echo.
func roundTrip(t *testing.T, l Link, addr netip.AddrPort) {
	t.Helper()
	var c net.Conn
	if err := l.NS.Do(func() (err error) {
		c, err = net.Dial("tcp", addr.String())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("echo: %q, %v", buf, err)
	}
}

func TestVethPairCarriesTCP(t *testing.T) {
	p := NewVethPair(t)
	roundTrip(t, p.A, echoOnce(t, p.B))
}

func TestDoIsolatesNamespaces(t *testing.T) {
	p := NewVethPair(t)
	err := p.A.NS.Do(func() error {
		if _, err := net.InterfaceByName("veth-a"); err != nil {
			t.Errorf("veth-a not visible in its own namespace: %v", err)
		}
		if _, err := net.InterfaceByName("veth-b"); err == nil {
			t.Error("veth-b (namespace B) visible from namespace A")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := net.InterfaceByName("veth-a"); err == nil {
		t.Error("veth-a visible outside its namespace")
	}
}
