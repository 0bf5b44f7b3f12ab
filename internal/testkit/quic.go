//go:build linux

package testkit

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/quic-go/quic-go"

	"github.com/tlsentry/tlsentry/internal/netnstest"
)

// ServeQUIC answers QUIC connections (quic-go, a real QUIC stack) on
// addr in l's namespace until the test ends: each stream reads "hello"
// and answers "world", then, when asked for more with a byte count,
// that many bytes. cfg needs NextProtos. It returns the address it
// listens on.
func ServeQUIC(t testing.TB, l netnstest.Link, addr netip.AddrPort, cfg *tls.Config) netip.AddrPort {
	t.Helper()
	var pc net.PacketConn
	// The socket is made on Do's thread, inside the namespace; quic-go's
	// goroutines then use it from anywhere.
	if err := l.NS.Do(func() (err error) {
		pc, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ln, err := quic.Listen(pc, cfg, &quic.Config{MaxIdleTimeout: 10 * time.Second})
	if err != nil {
		pc.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		ln.Close()
		pc.Close()
	})
	go func() {
		for {
			c, err := ln.Accept(ctx)
			if err != nil {
				return
			}
			go func() {
				defer c.CloseWithError(0, "")
				s, err := c.AcceptStream(ctx)
				if err != nil {
					return
				}
				s.SetDeadline(time.Now().Add(time.Minute))
				quicHello(s)
				s.Close()
				// The client closes the connection once it has read
				// everything; closing first would cut its data short.
				select {
				case <-c.Context().Done():
				case <-time.After(time.Minute):
				}
			}()
		}
	}()
	return pc.LocalAddr().(*net.UDPAddr).AddrPort()
}

// quicHello is the server's side of a stream: "hello" in, "world" out,
// then a 4-byte count in and that many zero bytes out.
func quicHello(s io.ReadWriter) {
	buf := make([]byte, 5)
	if _, err := io.ReadFull(s, buf); err != nil {
		return
	}
	if _, err := s.Write([]byte("world")); err != nil {
		return
	}
	var n [4]byte
	if _, err := io.ReadFull(s, n[:]); err != nil {
		return
	}
	io.CopyN(s, zeros{}, int64(n[0])<<24|int64(n[1])<<16|int64(n[2])<<8|int64(n[3]))
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// DialQUIC makes one QUIC connection from l's namespace: handshake, a
// stream with "hello" and "world", then download bytes of bulk data (so
// that the connection sends far more datagrams than its handshake), and
// close. It returns the client's address.
func DialQUIC(l netnstest.Link, addr netip.AddrPort, cfg *tls.Config, download int) (netip.AddrPort, error) {
	var pc *net.UDPConn
	if err := l.NS.Do(func() error {
		// Bound to the address the route to addr leaves from, so that the
		// returned endpoint is the one on the wire (quic-go needs an
		// unconnected socket).
		probe, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(addr))
		if err != nil {
			return err
		}
		src := probe.LocalAddr().(*net.UDPAddr).AddrPort().Addr()
		probe.Close()
		pc, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(src, 0)))
		return err
	}); err != nil {
		return netip.AddrPort{}, err
	}
	defer pc.Close()
	local := pc.LocalAddr().(*net.UDPAddr).AddrPort()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tr := &quic.Transport{Conn: pc}
	defer tr.Close()
	c, err := tr.Dial(ctx, net.UDPAddrFromAddrPort(addr), cfg, &quic.Config{})
	if err != nil {
		return local, err
	}
	defer c.CloseWithError(0, "")
	s, err := c.OpenStreamSync(ctx)
	if err != nil {
		return local, err
	}
	s.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := s.Write([]byte("hello")); err != nil {
		return local, err
	}
	if _, err := io.ReadFull(s, make([]byte, 5)); err != nil {
		return local, err
	}
	if _, err := s.Write([]byte{byte(download >> 24), byte(download >> 16), byte(download >> 8), byte(download)}); err != nil {
		return local, err
	}
	if _, err := io.CopyN(io.Discard, s, int64(download)); err != nil {
		return local, err
	}
	return local, s.Close()
}
