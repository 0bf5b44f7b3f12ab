package metrics

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestServe(t *testing.T) {
	m, reg := newTest(t)
	m.Alerts.Add(3)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeListener(ctx, ln, reg) }()

	want := `
# HELP tlsentry_alerts_total Alerts written.
# TYPE tlsentry_alerts_total counter
tlsentry_alerts_total 3
`
	if err := testutil.ScrapeAndCompare(base+"/metrics", strings.NewReader(want), "tlsentry_alerts_total"); err != nil {
		t.Error(err)
	}
	if code, body := get(t, base+"/"); code != http.StatusOK || !strings.Contains(body, `href="/metrics"`) {
		t.Errorf("index: %d %q", code, body)
	}
	if code, _ := get(t, base+"/nothing"); code != http.StatusNotFound {
		t.Errorf("unknown path: %d, want 404", code)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop on cancel")
	}
	if _, err := http.Get(base + "/metrics"); err == nil {
		t.Error("server still answers after cancel")
	}
}

func TestServeAddr(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, "127.0.0.1:0", prometheus.NewRegistry()) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop on cancel")
	}
}

func TestServePortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	err = Serve(context.Background(), addr, prometheus.NewRegistry())
	if err == nil {
		t.Fatal("serve on a busy port worked")
	}
	if !strings.Contains(err.Error(), addr) || !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("error %q does not name %s and EADDRINUSE", err, addr)
	}
	if err := Serve(context.Background(), "no-port", prometheus.NewRegistry()); err == nil || !strings.Contains(err.Error(), "no-port") {
		t.Errorf("bad address: %v", err)
	}
}
