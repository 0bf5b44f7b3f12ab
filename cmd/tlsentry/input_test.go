package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"testing"

	"github.com/tlsentry/tlsentry/internal/testkit"
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
	testkit.Stdin(t, z.Bytes())
	got, summary, err := runCmd(t, "flows", "-r", "-")
	if err != nil || got != want {
		t.Errorf("flows -r - (gzip-compressed): %v, %d bytes out, want the %d of flows -r\n%s", err, len(got), len(want), summary)
	}
}
