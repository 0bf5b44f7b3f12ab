package mask

import (
	"bytes"
	"context"
	"testing"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/labset"
)

func TestApplyZeroesRandomFields(t *testing.T) {
	flows, err := labset.Flows(context.Background(), labset.Benign, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range flows {
		h := tlsparse.FromFlow(f, nil)
		got := Apply(nil, f.Prefix, h)
		if len(got) != len(f.Prefix) {
			t.Fatalf("length %d, want %d", len(got), len(f.Prefix))
		}
		if bytes.Contains(got, h.Client.Random) || bytes.Contains(got, h.Server.ServerHello.Random) {
			t.Error("a random survived")
		}
		if len(h.Client.SessionID) >= minField && bytes.Contains(got, h.Client.SessionID) {
			t.Error("the session id survived")
		}
		// Everything else is untouched: the record and hello headers,
		// versions, cipher suites.
		if !bytes.Equal(got[:11], f.Prefix[:11]) {
			t.Errorf("header changed: % x", got[:11])
		}
		changed := 0
		for i := range got {
			if got[i] != f.Prefix[i] {
				changed++
			}
		}
		if changed < 64 || changed > 64+2*32+2*1300 {
			t.Errorf("%d bytes changed", changed)
		}
		if bytes.Equal(Apply(nil, f.Prefix, nil), got) {
			t.Error("no handshake, yet masked")
		}
	}
}

func TestCutField(t *testing.T) {
	field := bytes.Repeat([]byte{0xab}, 40)
	field[0] = 1
	prefix := append([]byte("hello, world"), field[:20]...)
	got := Apply(nil, prefix, &tlsparse.Handshake{Client: &tlsparse.ClientHello{Random: field}})
	if !bytes.Equal(got[:12], []byte("hello, world")) || !bytes.Equal(got[12:], make([]byte, 20)) {
		t.Errorf("% x", got)
	}
}

func FuzzApply(f *testing.F) {
	f.Add([]byte("\x16\x03\x01\x00\x30\x01\x00\x00\x2c\x03\x03"), []byte("0123456789abcdef"))
	f.Fuzz(func(t *testing.T, hs, prefix []byte) {
		fl := &flow.Flow{ClientHandshake: hs, Prefix: prefix}
		got := Apply(nil, prefix, tlsparse.FromFlow(fl, nil))
		if len(got) != len(prefix) {
			t.Fatalf("length %d, want %d", len(got), len(prefix))
		}
	})
}
