// Command tlsload makes real TLS connections for the pressure benches:
// a server, and a client that connects at a steady rate while a flood is
// replayed, so that the sensor's record of them can be counted.
//
//	tlsload serve -addr 10.99.0.1:443
//	tlsload connect -addr 10.99.0.1:443 -n 300 -rate 20 -ports ports.txt
//
// The server answers each connection's request with 2 KB and closes. The
// client writes the local port of every connection that completed to
// -ports, one a line, and a count to stderr.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tlsentry/tlsentry/internal/capgen"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: tlsload serve|connect [flags]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(ctx, os.Args[2:])
	case "connect":
		err = connect(ctx, os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tlsload:", err)
		os.Exit(1)
	}
}

const serverName = "bench.example"

func configs() (client, server *tls.Config, err error) {
	cert, err := capgen.SelfSignedCert(capgen.CertOptions{CommonName: serverName, DNSNames: []string{serverName}})
	if err != nil {
		return nil, nil, err
	}
	client, server = capgen.TLSConfigs(cert, serverName)
	return client, server, nil
}

func serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8443", "listen address")
	fs.Parse(args)
	_, srvCfg, err := configs()
	if err != nil {
		return err
	}
	ln, err := tls.Listen("tcp", *addr, srvCfg)
	if err != nil {
		return err
	}
	context.AfterFunc(ctx, func() { ln.Close() })
	body := []byte(strings.Repeat("x", 2048))
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			buf := make([]byte, 512)
			if _, err := c.Read(buf); err != nil {
				return
			}
			c.Write(body)
		}()
	}
}

func connect(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("connect", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8443", "server address")
	n := fs.Int("n", 100, "connections to make")
	rate := fs.Float64("rate", 20, "connections per second")
	portsPath := fs.String("ports", "", "write the local port of each completed connection here")
	fs.Parse(args)
	cliCfg, _, err := configs()
	if err != nil {
		return err
	}
	var mu sync.Mutex
	var ports []string
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Duration(float64(time.Second) / *rate))
	defer tick.Stop()
	failed := 0
	for range *n {
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			port, err := once(ctx, *addr, cliCfg)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
				return
			}
			ports = append(ports, strconv.Itoa(port))
		}()
	}
	wg.Wait()
	fmt.Fprintf(os.Stderr, "tlsload: %d connections completed, %d failed\n", len(ports), failed)
	if *portsPath != "" {
		return os.WriteFile(*portsPath, []byte(strings.Join(ports, "\n")+"\n"), 0o644)
	}
	return nil
}

// once makes one connection: handshake, request, the whole answer.
func once(ctx context.Context, addr string, cfg *tls.Config) (int, error) {
	d := tls.Dialer{Config: cfg, NetDialer: &net.Dialer{Timeout: 5 * time.Second}}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := d.DialContext(cctx, "tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: " + serverName + "\r\n\r\n")); err != nil {
		return 0, err
	}
	if _, err := io.Copy(io.Discard, c); err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	return c.LocalAddr().(*net.TCPAddr).Port, nil
}
