package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
)

// TestFlowsStdinGzip: flows -r - reads a capture piped in, gzip-compressed
// here, and prints what flows -r prints for the capture itself.
func TestFlowsStdinGzip(t *testing.T) {
	want, _, err := runCmd(t, "flows", "-r", sample)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write(raw)
	w.Close()
	path := filepath.Join(t.TempDir(), "piped")
	if err := os.WriteFile(path, z.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = saved }()
	got, summary, err := runCmd(t, "flows", "-r", "-")
	if err != nil || got != want {
		t.Errorf("flows -r - (gzip-compressed): %v, %d bytes out, want the %d of flows -r\n%s", err, len(got), len(want), summary)
	}
}
