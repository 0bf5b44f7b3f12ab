package evidence

import (
	"context"
	"testing"

	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// TestHelloSplit: real crypto/tls handshakes carried as packets. A hello
// whose first TCP segment is cut after 2 bytes, or just before its server
// name, or late, or that comes in 35-byte chunks (SpoofDPI's chunk mode),
// or in segments of an MSS no path has, fires tcp.hello_split; the same
// hello whole, or cut by a 600-byte MSS into full segments, does not.
func TestHelloSplit(t *testing.T) {
	tab := Calibrate("labset benign", inputs(t, labset.Benign, 24), nil)
	convs, err := labset.Conversations(context.Background(), labset.Benign, 4, 5)
	if err != nil {
		t.Fatal(err)
	}
	split := func(at func(hello []byte) int, mss int) []bool {
		out := make([]capgen.Conversation, 0, len(convs))
		for _, c := range convs {
			hello := c[0].Data
			var conv capgen.Conversation
			if k := at(hello); k > 0 {
				conv = append(conv, capgen.ClientWrite(hello[:k]), capgen.ClientWrite(hello[k:]))
			} else {
				conv = append(conv, c[0])
			}
			out = append(out, append(conv, c[1:]...))
		}
		flows, err := labset.FlowsWith("hello split", out, 5, func(s *capgen.FlowSpec) { s.MSS = mss })
		if err != nil {
			t.Fatal(err)
		}
		var fired []bool
		for _, f := range flows {
			fired = append(fired, firedID(tab, input(f), "tcp.hello_split"))
		}
		return fired
	}
	whole := func([]byte) int { return 0 }
	afterTwo := func([]byte) int { return 2 }
	beforeName := func(h []byte) int { return 5 + 4 + 2 + 32 + 1 + int(h[5+4+2+32]) + 20 } // into the suites, before the extensions
	always := func([]byte) bool { return true }
	never := func([]byte) bool { return false }
	longer := func(n int) func([]byte) bool { return func(h []byte) bool { return len(h) > n } }
	for _, c := range []struct {
		name string
		at   func([]byte) int
		mss  int
		want func(hello []byte) bool
	}{
		{"whole", whole, 0, never},
		{"whole, 600-byte MSS", whole, 600, never},
		{"whole, a 300-byte MSS no path has", whole, 300, longer(300)},
		{"cut after 2 bytes", afterTwo, 0, always},
		{"cut before the name", beforeName, 0, always},
		{"cut in 35-byte chunks", whole, 35, always},
		{"cut late, its first part the larger", func(h []byte) int { return min(len(h)*2/3, 470) }, 0, always},
	} {
		for i, got := range split(c.at, c.mss) {
			if want := c.want(convs[i][0].Data); got != want {
				t.Errorf("%s, stack %d (a %d-byte hello): fired %v, want %v", c.name, i, len(convs[i][0].Data), got, want)
			}
		}
	}
}
