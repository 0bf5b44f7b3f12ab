package main

import (
	"bufio"
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/tlsentry/tlsentry/internal/reallab"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "labtls:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage: labtls serve|client|profiles [flags]")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stderr)
	case "client":
		return client(ctx, args[1:], stderr)
	case "profiles":
		for _, p := range reallab.Profiles() {
			fmt.Fprintf(stdout, "%s\tbenign=%t\n", p.Name, p.Benign)
		}
		return nil
	}
	return errUsage
}

type addrList []string

func (a *addrList) String() string     { return strings.Join(*a, ",") }
func (a *addrList) Set(v string) error { *a = append(*a, v); return nil }

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o reallab.ServerOptions
	fs.Var((*addrList)(&o.Addrs), "addr", "address to listen on, host:port (repeat)")
	fs.StringVar(&o.CertFile, "cert", "", "PEM certificate chain, leaf first")
	fs.StringVar(&o.KeyFile, "key", "", "PEM private key")
	fs.BoolVar(&o.MaxTLS12, "max-tls12", false, "refuse TLS 1.3")
	fs.BoolVar(&o.MinTLS10, "min-tls10", false, "accept TLS 1.0 and 1.1")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.Ready = func(a []net.Addr) { fmt.Fprintf(stderr, "labtls: serving on %v\n", a) }
	var s reallab.Server
	err := s.Serve(ctx, o)
	seen := s.Seen()
	for _, k := range slices.Sorted(maps.Keys(seen)) {
		fmt.Fprintf(stderr, "labtls: served %d requests of %s\n", seen[k], k)
	}
	fmt.Fprintf(stderr, "labtls: %d connections\n", s.Conns())
	return err
}

func client(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("profile", "default", "client set-up (labtls profiles lists them)")
	caFile := fs.String("ca", "", "PEM CA certificates to trust (default: the system's)")
	urlFile := fs.String("urls", "", "file of URLs, one a line (besides those given as arguments)")
	timeout := fs.Duration("timeout", 10*time.Second, "per request")
	pause := fs.Duration("pause", 0, "between requests")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, err := reallab.Lookup(*name)
	if err != nil {
		return err
	}
	urls := fs.Args()
	if *urlFile != "" {
		more, err := readLines(*urlFile)
		if err != nil {
			return err
		}
		urls = append(urls, more...)
	}
	if len(urls) == 0 {
		return fmt.Errorf("%w: client needs URLs", errUsage)
	}
	o := reallab.ClientOptions{Timeout: *timeout, Pause: *pause}
	if *caFile != "" {
		pemData, err := os.ReadFile(*caFile)
		if err != nil {
			return fmt.Errorf("read CA: %w", err)
		}
		o.Roots = x509.NewCertPool()
		if !o.Roots.AppendCertsFromPEM(pemData) {
			return fmt.Errorf("no certificate in %s", *caFile)
		}
	}
	r, err := p.Browse(ctx, urls, o)
	msg := fmt.Sprintf("labtls client %s: %d ok, %d failed", p.Name, r.OK, r.Failed)
	if r.FirstErr != nil {
		msg += fmt.Sprintf(" (first: %v)", r.FirstErr)
	}
	fmt.Fprintln(stderr, msg)
	return err
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read URLs: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read URLs %s: %w", path, err)
	}
	return out, nil
}
