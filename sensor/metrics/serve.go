package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// shutdownGrace is how long a shutdown waits for scrapes in progress.
const shutdownGrace = 5 * time.Second

const indexPage = `<!doctype html>
<html><head><title>tlsentry</title></head>
<body><h1>tlsentry</h1><p><a href="/metrics">Metrics</a></p></body></html>
`

// Serve listens on addr (host:port) and serves g's metrics at /metrics
// until ctx is cancelled; then it shuts the server down and returns nil.
// A listen failure (a port in use, say) comes back at once, naming addr.
func Serve(ctx context.Context, addr string, g prometheus.Gatherer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	return ServeListener(ctx, ln, g)
}

// ServeListener is Serve on a listener the caller opened (to learn a :0
// port, or to fail on a busy port before starting the pipeline). It
// closes ln.
func ServeListener(ctx context.Context, ln net.Listener, g prometheus.Gatherer) error {
	srv := &http.Server{
		Handler:           Handler(g),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("metrics: serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		srv.Close() // scrapes still running past the grace time
	}
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		return fmt.Errorf("metrics: serve on %s: %w", ln.Addr(), serr)
	}
	if err != nil {
		return fmt.Errorf("metrics: shut down server on %s: %w", ln.Addr(), err)
	}
	return nil
}

// Handler serves g's metrics at /metrics and a small index page at /.
func Handler(g prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{
		ErrorHandling:       promhttp.ContinueOnError, // serve what gathered
		MaxRequestsInFlight: 4,
		Timeout:             20 * time.Second,
	}))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, indexPage)
	})
	return mux
}
