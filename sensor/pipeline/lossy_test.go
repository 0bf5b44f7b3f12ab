package pipeline

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/sharedpcaps"
)

// withoutFrames copies a classic pcap without the given frames (1-based,
// as Wireshark numbers them): a capture that lost them.
func withoutFrames(t *testing.T, path string, drop ...int) string {
	t.Helper()
	in, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	r, err := pcapgo.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), filepath.Base(path))
	o, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	w := pcapgo.NewWriterNanos(o)
	if err := w.WriteFileHeader(r.Snaplen(), r.LinkType()); err != nil {
		t.Fatal(err)
	}
	for n := 1; ; n++ {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		skip := false
		for _, d := range drop {
			skip = skip || d == n
		}
		if !skip {
			if err := w.WritePacket(ci, data); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}

// TestLostHelloSegment: a ClientHello whose last segment the capture
// lost, its server's acknowledgement past it, is a gap in the client's
// handshake, not a hello the client cut short (which no TLS stack sends,
// and which would alert on its own).
func TestLostHelloSegment(t *testing.T) {
	dir, ok := sharedpcaps.Dir()
	if !ok {
		t.Skip("../shared/pcaps is absent")
	}
	// gaijin_mobile_mixed.pcap: the first connection's hello in frames 4
	// and 5 (512 and 5 bytes), the server's acknowledgement of both in 6.
	path := filepath.Join(dir, "ndpi", "gaijin_mobile_mixed.pcap")
	for _, tc := range []struct {
		drop []int
		gap  bool
	}{{nil, false}, {[]int{5}, true}} {
		flows, _ := readCapture(t, withoutFrames(t, path, tc.drop...))
		var first *flow.Flow
		for _, f := range flows {
			if f.Client.Port == 47666 {
				first = f
			}
		}
		if first == nil {
			t.Fatalf("frames %v dropped: no flow from port 47666", tc.drop)
		}
		if first.ClientHandshakeGap != tc.gap || first.ClientHoled != tc.gap {
			t.Errorf("frames %v dropped: client handshake gap %v, holed %v; want %v", tc.drop, first.ClientHandshakeGap, first.ClientHoled, tc.gap)
		}
		if tc.gap && first.ClientIntact != 512 {
			t.Errorf("frames %v dropped: %d client bytes intact, want 512", tc.drop, first.ClientIntact)
		}
	}
}
