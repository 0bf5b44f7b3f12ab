package sharedpcaps

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLocator: when the shared captures are there, every capture listed
// exists, the hello counts name listed captures, and the JA4 reference
// parses for a capture it covers.
func TestLocator(t *testing.T) {
	dir, ok := Dir()
	if !ok {
		t.Skip("../shared/pcaps is absent: nothing to locate")
	}
	if PcapDir(t) != dir {
		t.Errorf("PcapDir %q, Dir %q", PcapDir(t), dir)
	}
	caps := Captures(t)
	if len(caps) < 100 {
		t.Fatalf("%d captures listed: the folder looks incomplete", len(caps))
	}
	listed := map[string]bool{}
	for _, c := range caps {
		listed[c] = true
		if _, err := os.Stat(filepath.Join(dir, c)); err != nil {
			t.Errorf("listed capture %s: %v", c, err)
		}
	}
	tcp, quic := ClientHelloCounts(t), QUICClientHelloCounts(t)
	if len(tcp) == 0 || len(quic) == 0 {
		t.Fatalf("hello counts: %d TCP, %d QUIC entries", len(tcp), len(quic))
	}
	total := 0
	for name, n := range tcp {
		total += n
		if !listed[name] {
			t.Errorf("hello count for %s, which is not a listed capture", name)
		}
	}
	if total == 0 {
		t.Error("no TCP ClientHello counted at all")
	}
	streams, ok := JA4Expected(t, "ja4/tls-sni.pcapng")
	if !ok || len(streams) == 0 {
		t.Errorf("JA4 reference for ja4/tls-sni.pcapng: %d streams, ok %v", len(streams), ok)
	}
}
