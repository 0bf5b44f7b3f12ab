//go:build linux

package testkit

import (
	"crypto/tls"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/netnstest"
)

// HelloWorld is the servers' default answer: it reads "hello" and writes
// "world".
func HelloWorld(c net.Conn) {
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err == nil {
		c.Write([]byte("world"))
	}
}

// ServeTLS answers TLS connections on addr (port 0: any free port) in l's
// namespace, each with handle (nil: HelloWorld) under a minute's
// deadline, until the test ends. It returns the address it listens on.
func ServeTLS(t testing.TB, l netnstest.Link, addr netip.AddrPort, cfg *tls.Config, handle func(net.Conn)) netip.AddrPort {
	t.Helper()
	return serve(t, l, func() (net.Listener, error) { return tls.Listen("tcp", addr.String(), cfg) }, handle)
}

// ServeTCP is ServeTLS for plain TCP.
func ServeTCP(t testing.TB, l netnstest.Link, addr netip.AddrPort, handle func(net.Conn)) netip.AddrPort {
	t.Helper()
	return serve(t, l, func() (net.Listener, error) { return net.Listen("tcp", addr.String()) }, handle)
}

func serve(t testing.TB, l netnstest.Link, listen func() (net.Listener, error), handle func(net.Conn)) netip.AddrPort {
	t.Helper()
	if handle == nil {
		handle = HelloWorld
	}
	var ln net.Listener
	if err := l.NS.Do(func() (err error) {
		ln, err = listen()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(time.Minute))
				handle(c)
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).AddrPort()
}

// DialTLS makes one TLS connection from l's namespace: handshake, "hello",
// "world", close. It returns the client's address.
func DialTLS(l netnstest.Link, addr netip.AddrPort, cfg *tls.Config) (netip.AddrPort, error) {
	var local netip.AddrPort
	err := l.NS.Do(func() error {
		d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: cfg}
		c, err := d.Dial("tcp", addr.String())
		if err != nil {
			return err
		}
		defer c.Close()
		local = c.LocalAddr().(*net.TCPAddr).AddrPort()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write([]byte("hello")); err != nil {
			return err
		}
		_, err = io.ReadFull(c, make([]byte, 5))
		return err
	})
	return local, err
}
