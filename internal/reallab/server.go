package reallab

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ServerOptions set up the lab's Go HTTPS server.
type ServerOptions struct {
	Addrs    []string // listen addresses, host:port
	CertFile string   // PEM chain, leaf first
	KeyFile  string
	MaxTLS12 bool // refuse TLS 1.3 (so the certificate travels in clear)
	MinTLS10 bool // accept TLS 1.0 and 1.1
	// Ready, if set, is called once every address listens.
	Ready func(addrs []net.Addr)
}

// Server is a running lab server.
type Server struct {
	conns atomic.Int64
	mu    sync.Mutex
	seen  map[string]int // requests by TLS version, HTTP version and SNI presence
}

// Conns is the number of TCP connections accepted so far.
func (s *Server) Conns() int64 { return s.conns.Load() }

// Seen counts the requests served by "TLS version, HTTP version,
// sni=true|false".
func (s *Server) Seen() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.seen)
}

func (s *Server) note(r *http.Request) {
	key := "no TLS " + r.Proto
	if r.TLS != nil {
		key = fmt.Sprintf("%s %s sni=%t", tls.VersionName(r.TLS.Version), r.Proto, r.TLS.ServerName != "")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = make(map[string]int)
	}
	s.seen[key]++
}

// Serve runs an HTTPS server (HTTP/1.1 and HTTP/2) until ctx ends.
func (s *Server) Serve(ctx context.Context, o ServerOptions) error {
	if len(o.Addrs) == 0 {
		return errors.New("reallab: server needs a listen address")
	}
	cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
	if err != nil {
		return fmt.Errorf("reallab: server certificate: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	if o.MaxTLS12 {
		cfg.MaxVersion = tls.VersionTLS12
	}
	if o.MinTLS10 {
		cfg.MinVersion = tls.VersionTLS10
	}
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(true)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.note(r)
			handle(w, r)
		}),
		TLSConfig:         cfg,
		Protocols:         protocols,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       30 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0), // the lab's anomalies fail handshakes on purpose
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				s.conns.Add(1)
			}
		},
	}
	var listeners []net.Listener
	var lc net.ListenConfig
	for _, a := range o.Addrs {
		l, err := lc.Listen(ctx, "tcp", a)
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			return fmt.Errorf("reallab: listen %s: %w", a, err)
		}
		listeners = append(listeners, l)
	}
	if o.Ready != nil {
		addrs := make([]net.Addr, len(listeners))
		for i, l := range listeners {
			addrs[i] = l.Addr()
		}
		o.Ready(addrs)
	}
	errs := make(chan error, len(listeners))
	var wg sync.WaitGroup
	for _, l := range listeners {
		wg.Go(func() { errs <- srv.ServeTLS(l, "", "") })
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errs:
	}
	shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	shutErr := srv.Shutdown(shut)
	wg.Wait()
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	return errors.Join(serveErr, shutErr)
}

// handle answers every path with a small page that depends on the path,
// so that response sizes vary a little as on a real site.
func handle(w http.ResponseWriter, r *http.Request) {
	body := fmt.Sprintf("<html><head><title>%s</title></head><body><p>%s%s</p>%s</body></html>\n",
		r.Host, r.Host, r.URL.Path, strings.Repeat("<p>lorem ipsum dolor sit amet</p>", len(r.URL.Path)%7))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Server", "labtls")
	fmt.Fprint(w, body)
}
