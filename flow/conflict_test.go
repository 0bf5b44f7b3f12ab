package flow

import (
	"bytes"
	"fmt"
	"testing"
)

// TestOverlapConflicts: segments that resend stream bytes with other bytes
// are recorded (where, what was kept, what was said instead); resent
// bytes that agree, a keep-alive's garbage byte, an RST's text and
// Ethernet padding counted as payload are not.
func TestOverlapConflicts(t *testing.T) {
	const c, s = true, false
	open := []Segment{seg(c, 0, 1000, syn, ""), seg(s, 1, 5000, synack, "")}
	cases := []struct {
		name   string
		segs   []Segment
		prefix string
		client string // the client's conflict: "offset kept->other xN"; "" none
		server string
	}{
		{
			name:   "a later segment says other bytes where the stream already has some",
			segs:   []Segment{seg(c, 3, 1001, ack, "abcd"), seg(c, 4, 1003, ack, "XXef")},
			prefix: "abcdef", client: "2 cd->XX x1",
		},
		{
			name:   "a decoy first, then the real bytes, whole",
			segs:   []Segment{seg(c, 3, 1001, ack, "fake!"), seg(c, 4, 1001, ack, "hello")},
			prefix: "fake!", client: "0 fake!->hello x1",
		},
		{
			name:   "the difference starts inside the overlap",
			segs:   []Segment{seg(c, 3, 1001, ack, "hello world"), seg(c, 4, 1001, ack, "hello there"), seg(c, 5, 1001, ack, "hello wxrld")},
			prefix: "hello world", client: "6 world->there x2",
		},
		{
			name:   "among buffered segments",
			segs:   []Segment{seg(c, 3, 1004, ack, "def"), seg(c, 4, 1003, ack, "XYZW"), seg(c, 5, 1001, ack, "ab")},
			prefix: "abXYZW", client: "3 def->YZW x1",
		},
		{
			name:   "a buffered segment that disagrees with bytes delivered after it arrived",
			segs:   []Segment{seg(c, 3, 1004, ack, "QRS"), seg(c, 4, 1001, ack, "abcdef")},
			prefix: "abcdef", client: "3 def->QRS x1",
		},
		{
			name:   "the server's side",
			segs:   []Segment{seg(c, 3, 1001, ack, "hi"), seg(s, 4, 5001, ack, "HELLO"), seg(s, 5, 5001, ack, "HOWDY")},
			prefix: "hiHELLO", server: "1 ELLO->OWDY x1",
		},
		{
			name:   "exact retransmissions and overlaps that agree",
			segs:   []Segment{seg(c, 3, 1001, ack, "abcd"), seg(c, 4, 1001, ack, "abcd"), seg(c, 5, 1003, ack, "cdef"), seg(c, 6, 1002, ack, "bcdefg")},
			prefix: "abcdefg",
		},
		{
			name:   "a keep-alive's garbage byte at next-1",
			segs:   []Segment{seg(c, 3, 1001, ack, "abcd"), seg(c, 4, 1004, ack, "\x00")},
			prefix: "abcd",
		},
		{
			name:   "an RST's diagnostic text",
			segs:   []Segment{seg(c, 3, 1001, ack, "abcd"), seg(c, 4, 1001, rst|ack, "gone")},
			prefix: "abcd",
		},
		{
			name:   "Ethernet padding counted as an ACK's payload is no stream byte",
			segs:   []Segment{seg(c, 3, 1001, ack, "\x00\x00"), seg(c, 4, 1001, ack|FlagPSH, "hello"), seg(s, 5, 5001, ack, "\x00\x00\x00\x00\x00\x00"), seg(s, 6, 5001, ack|FlagPSH, "HI")},
			prefix: "helloHI",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []*Flow
			tab, err := NewTable(Config{TLSPorts: []int{}}, func(f *Flow) { got = append(got, f) })
			if err != nil {
				t.Fatal(err)
			}
			for _, sg := range append(append([]Segment(nil), open...), tc.segs...) {
				tab.Process(&sg)
			}
			tab.Flush()
			if len(got) != 1 {
				t.Fatalf("%d flows, want 1", len(got))
			}
			f := got[0]
			if !bytes.Equal(f.Prefix, []byte(tc.prefix)) {
				t.Errorf("prefix %q, want %q", f.Prefix, tc.prefix)
			}
			if g := conflictString(f.ClientConflict); g != tc.client {
				t.Errorf("client's conflict %q, want %q", g, tc.client)
			}
			if g := conflictString(f.ServerConflict); g != tc.server {
				t.Errorf("server's conflict %q, want %q", g, tc.server)
			}
			want := uint64(0)
			for _, c := range []*Conflict{f.ClientConflict, f.ServerConflict} {
				if c != nil {
					want += uint64(c.Segments)
				}
			}
			if st := tab.Stats(); st.OverlapConflicts != want {
				t.Errorf("Stats.OverlapConflicts = %d, want %d", st.OverlapConflicts, want)
			}
		})
	}
}

func conflictString(c *Conflict) string {
	if c == nil {
		return ""
	}
	return fmt.Sprintf("%d %s->%s x%d", c.Offset, c.Kept, c.Other, c.Segments)
}

// TestConflictInsideTheHandshake: past the prefix, the handshake capture
// is what resent bytes are compared with (a hello longer than the prefix,
// the decoy differing in its last bytes).
func TestConflictInsideTheHandshake(t *testing.T) {
	// A ClientHello of 1,528 bytes: version, random, no session, one
	// suite, no compression, a padding extension of 1,481 zero bytes.
	body := append([]byte{0x03, 0x03}, bytes.Repeat([]byte{7}, 32)...)
	body = append(body, 0, 0, 2, 0x13, 0x01, 1, 0, 0x05, 0xcd, 0x00, 0x15, 0x05, 0xc9)
	body = append(body, make([]byte, 1481)...)
	hello := tlsRecord(0x16, hsMessage(1, body))
	decoy := bytes.Clone(hello)
	decoy[1300] = 0xcd
	var got []*Flow
	tab, err := NewTable(DefaultConfig(), func(f *Flow) { got = append(got, f) })
	if err != nil {
		t.Fatal(err)
	}
	segs := []Segment{
		seg(true, 0, 1000, syn, ""), seg(false, 1, 5000, synack, ""),
		seg(true, 2, 1001, ack, string(hello[:1200])), seg(true, 3, 2201, ack, string(hello[1200:])),
		seg(true, 4, 2201, ack, string(decoy[1200:])),
	}
	for i := range segs {
		tab.Process(&segs[i])
	}
	tab.Flush()
	if len(got) != 1 || got[0].ClientConflict == nil {
		t.Fatalf("want one flow with a client conflict, got %d flows", len(got))
	}
	if c := got[0].ClientConflict; c.Offset != 1300 || c.Kept[0] != 0 || c.Other[0] != 0xcd {
		t.Errorf("conflict at %d (%x -> %x), want at 1300 (00 -> cd)", c.Offset, c.Kept, c.Other)
	}
	if !bytes.Equal(got[0].ClientHandshake, hello) {
		t.Error("the handshake capture is not the bytes that came first")
	}
}

// TestConflictBeforeThePickup: a flow picked up mid-stream may see a
// segment that starts before its first byte; only the bytes it has are
// compared.
func TestConflictBeforeThePickup(t *testing.T) {
	for _, tc := range []struct{ again, want string }{{"hello world", ""}, {"hello WORLD", "0 world->WORLD x1"}} {
		flows := runSegments(t, Config{TLSPorts: []int{}}, []Segment{seg(true, 0, 2000, ack, "world"), seg(true, 1, 1994, ack, tc.again)})
		if len(flows) != 1 || string(flows[0].Prefix) != "world" {
			t.Fatalf("%q: want one flow with prefix \"world\"", tc.again)
		}
		if g := conflictString(flows[0].ClientConflict); g != tc.want {
			t.Errorf("%q: conflict %q, want %q", tc.again, g, tc.want)
		}
	}
}

// TestNoACKData: data on a segment without ACK (nor SYN, nor RST) is no
// stream byte, as no endpoint takes it: a decoy sent so before the real
// bytes leaves the real ones in the flow, and is reported with the
// offset it claimed.
func TestNoACKData(t *testing.T) {
	const c, s = true, false
	psh := FlagPSH
	f, st := oneFlow(t, "data without ACK", []Segment{seg(c, 0, 1000, syn, ""), seg(s, 1, 5000, synack, ""),
		seg(c, 2, 1001, psh, "fake!"), seg(c, 3, 1001, ack|psh, "hello"), seg(c, 4, 1004, psh, "XYZ"),
		seg(s, 5, 5001, ack, "HI")})
	if string(f.Prefix) != "helloHI" || f.ClientConflict != nil {
		t.Errorf("prefix %q, conflict %+v: want the real bytes and no conflict", f.Prefix, f.ClientConflict)
	}
	if n := f.ClientNoACK; n == nil || n.Offset != 0 || string(n.Data) != "fake!" || n.Segments != 2 || n.Bytes != 8 || f.ServerNoACK != nil {
		t.Errorf("client's data without ACK %+v, server's %+v", n, f.ServerNoACK)
	}
	if st.NoACKData != 2 {
		t.Errorf("Stats.NoACKData = %d, want 2", st.NoACKData)
	}
}
