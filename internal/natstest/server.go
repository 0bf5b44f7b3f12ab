package natstest

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server is an in-process JetStream server. It listens on 127.0.0.1 on a
// port chosen at the first start and kept across restarts, and stores
// streams under a directory of the test's.
type Server struct {
	tb       testing.TB
	storeDir string
	port     int

	mu  sync.Mutex
	srv *server.Server // nil while stopped
}

// Start starts a server for the test; it is shut down when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{tb: tb, storeDir: tb.TempDir(), port: freePort(tb)}
	s.Restart()
	tb.Cleanup(s.Stop)
	return s
}

// freePort finds a port the kernel is not using now.
func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("natstest: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// URL is the client URL, the same across restarts.
func (s *Server) URL() string { return "nats://127.0.0.1:" + strconv.Itoa(s.port) }

// StoreDir is where JetStream keeps its streams.
func (s *Server) StoreDir() string { return s.storeDir }

// Restart starts the server again (or for the first time) on the same
// port and store directory. It fails the test if the server does not come
// up within 10 s.
func (s *Server) Restart() {
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		s.tb.Fatal("natstest: Restart of a running server")
	}
	opts := &server.Options{
		ServerName: "natstest",
		Host:       "127.0.0.1",
		Port:       s.port,
		JetStream:  true,
		StoreDir:   s.storeDir,
		NoLog:      true,
		NoSigs:     true,
		// The test's stream and the object store's chunks are small.
		JetStreamMaxMemory: 256 << 20,
		JetStreamMaxStore:  4 << 30,
	}
	var srv *server.Server
	var err error
	// The port of a server just shut down can take a moment to free.
	for try := 0; try < 50; try++ {
		if srv, err = server.NewServer(opts); err != nil {
			s.tb.Fatalf("natstest: %v", err)
		}
		go srv.Start()
		if srv.ReadyForConnections(10 * time.Second) {
			s.srv = srv
			return
		}
		srv.Shutdown()
		time.Sleep(100 * time.Millisecond)
	}
	s.tb.Fatal(fmt.Errorf("natstest: server on port %d not ready", s.port))
}

// Stop shuts the server down (its clients see the connection go); the
// store stays for Restart. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv == nil {
		return
	}
	s.srv.Shutdown()
	s.srv.WaitForShutdown()
	s.srv = nil
}
