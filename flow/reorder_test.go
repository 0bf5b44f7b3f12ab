package flow

import (
	"bytes"
	"testing"
)

// TestSYNAfterItsSYNACK: a capture that put a server's SYN-ACK and first
// bytes before its client's SYN (a tap whose two directions are merged
// with clocks apart, receive queues that reorder them) holds one
// connection, seen from its SYN, not a server-only one and a new one
// after it. A SYN its peer did not answer still opens a new connection.
func TestSYNAfterItsSYNACK(t *testing.T) {
	const c, s = true, false
	acking := func(sg Segment, ack uint32) Segment { sg.Ack = ack; return sg }
	banner, request := "220 ready\r\n", "USER anonymous\r\n"
	segs := []Segment{
		acking(seg(s, 0, 5000, synack, ""), 1001),
		acking(seg(s, 1, 5001, ack, banner), 1001),
		seg(c, 2, 1000, syn, ""),
		acking(seg(c, 3, 1001, ack, ""), 5001),
		acking(seg(c, 4, 1001, ack, request), 5001+uint32(len(banner))),
	}
	out := runSegments(t, DefaultConfig(), segs)
	if len(out) != 1 {
		t.Fatalf("%d flows, want 1", len(out))
	}
	f := out[0]
	if !f.ClientSYN || !bytes.Equal(f.SideBytes(true, PrefixSize), []byte(request)) || !bytes.Equal(f.SideBytes(false, PrefixSize), []byte(banner)) {
		t.Errorf("client SYN %v, client bytes %q, server bytes %q", f.ClientSYN, f.SideBytes(true, PrefixSize), f.SideBytes(false, PrefixSize))
	}
	segs[2].Seq = 7000 // not the SYN the SYN-ACK answered
	if out := runSegments(t, DefaultConfig(), segs); len(out) != 2 {
		t.Errorf("a SYN the server did not answer: %d flows, want 2", len(out))
	}
}
