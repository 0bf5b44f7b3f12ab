package flow

import (
	"bytes"
	"testing"
	"time"
)

// TestSYNAfterItsSYNACK: a capture that put a server's SYN-ACK and first
// bytes before its client's SYN (a tap whose two directions are merged
// with clocks apart, receive queues that reorder them) holds one
// connection, seen from its SYN, not a server-only one and a new one
// after it. A SYN its peer did not answer still opens a new connection.
func TestSYNAfterItsSYNACK(t *testing.T) {
	const c, s = true, false
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

// TestServerAnswerBeforeTheClientsBytes: with the directions merged out
// of order, a server's answer (acknowledging the client's first bytes)
// comes before the client's SYN and bytes: the flow says the server
// answered, the flow in order does not, nor does a server that greets or
// one that acknowledges its client's FIN.
func TestServerAnswerBeforeTheClientsBytes(t *testing.T) {
	const c, s = true, false
	request, answer := "\x01\x02\x03\x04 request", "\x05\x06\x07\x08 answer"
	end := 1001 + uint32(len(request))
	synack, data := acking(seg(s, 0, 5000, synack, ""), 1001), acking(seg(s, 1, 5001, ack|FlagPSH, answer), end)
	syn, ack1, req := seg(c, 2, 1000, syn, ""), acking(seg(c, 3, 1001, ack, ""), 5001), acking(seg(c, 4, 1001, ack|FlagPSH, request), 5001)
	for _, tc := range []struct {
		name string
		segs []Segment
		want bool
	}{
		{"merged out of order", []Segment{synack, data, syn, ack1, req}, true},
		{"in order", []Segment{syn, synack, ack1, req, data}, false},
		{"a greeting", []Segment{syn, synack, ack1, acking(seg(s, 1, 5001, ack|FlagPSH, answer), 1001), req}, false},
		// The client's FIN takes a sequence number, and is no byte.
		{"a FIN acknowledged", []Segment{syn, synack, ack1, acking(seg(c, 4, 1001, fin, ""), 5001), acking(seg(s, 5, 5001, ack|FlagPSH, answer), 1002)}, false},
	} {
		out := runSegments(t, DefaultConfig(), tc.segs)
		if len(out) != 1 || out[0].ServerAnswered != tc.want {
			t.Errorf("%s: %d flows, %+v", tc.name, len(out), out)
		}
	}
}

// TestResetBeforeTheBytesItAcknowledges: with the directions merged out
// of order, a server's reset that acknowledges the client's hello comes
// before the hello. The connection waits for the bytes the reset
// acknowledged and is closed as reset with the hello in it; when they
// never come (lost to the capture), it is closed after resetQuiet of
// silence, decided at that time, not at the end of input. A reset that
// acknowledges only bytes seen closes at once.
func TestResetBeforeTheBytesItAcknowledges(t *testing.T) {
	const c, s = true, false
	hello := "\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00"
	end := 1001 + uint32(len(hello))
	segs := []Segment{
		acking(seg(s, 0, 5000, synack, ""), 1001),
		seg(c, 1, 1000, syn, ""),
		acking(seg(c, 2, 1001, ack, ""), 5001),
		acking(seg(s, 3, 5001, ack, ""), end),
		acking(seg(s, 4, 5001, ack|rst, ""), end),
		acking(seg(c, 5, 1001, ack|FlagPSH, hello), 5001),
	}
	var out []*Flow
	tab, _ := NewTable(DefaultConfig(), func(f *Flow) { out = append(out, f) })
	for i := range segs {
		tab.Process(&segs[i])
	}
	if len(out) != 1 {
		t.Fatalf("%d flows before the end of input, want 1 (closed once the hello came)", len(out))
	}
	f := out[0]
	if f.EndReason != EndRST || !bytes.Equal(f.ClientHandshake, []byte(hello)) || !bytes.Equal(f.SideBytes(true, PrefixSize), []byte(hello)) {
		t.Errorf("end %v, client handshake %q", f.EndReason, f.ClientHandshake)
	}

	// The hello lost: closed after resetQuiet of silence.
	out = nil
	tab, _ = NewTable(DefaultConfig(), func(f *Flow) { out = append(out, f) })
	for i := range segs[:5] {
		tab.Process(&segs[i])
	}
	if len(out) != 0 {
		t.Fatal("handed out at the reset, before the bytes it acknowledged")
	}
	tab.Advance(time.Unix(0, segs[4].Time+int64(3*resetQuiet)))
	if len(out) != 1 || out[0].EndReason != EndRST || !out[0].Decided.Equal(time.Unix(0, segs[4].Time+int64(resetQuiet)).UTC()) {
		t.Fatalf("after the quiet: %d flows %+v", len(out), out)
	}

	// A reset that acknowledges only what was seen closes at once.
	out = nil
	tab, _ = NewTable(DefaultConfig(), func(f *Flow) { out = append(out, f) })
	for i := range segs[:3] {
		tab.Process(&segs[i])
	}
	reset := acking(seg(s, 4, 5001, ack|rst, ""), 1001)
	tab.Process(&reset)
	if len(out) != 1 || out[0].EndReason != EndRST {
		t.Fatalf("reset of seen bytes: %d flows %+v", len(out), out)
	}

	// A connection picked up midway whose server's reset came before any
	// packet of its client waits for the client's bytes too.
	out = nil
	tab, _ = NewTable(DefaultConfig(), func(f *Flow) { out = append(out, f) })
	tail := "\x17\x03\x03\x00\x02hi"
	for _, sg := range []Segment{
		acking(seg(s, 0, 9000, ack, ""), 3000+uint32(len(tail))),
		acking(seg(s, 1, 9000, ack|rst, ""), 3000+uint32(len(tail))),
		acking(seg(c, 2, 3000, ack|FlagPSH, tail), 9000),
	} {
		tab.Process(&sg)
	}
	if len(out) != 1 || out[0].EndReason != EndRST || !bytes.Equal(out[0].SideBytes(true, PrefixSize), []byte(tail)) {
		t.Fatalf("picked up midway: %d flows %+v", len(out), out)
	}

	// Nor does one that acknowledges the client's FIN, which takes a
	// sequence number of its own.
	out = nil
	tab, _ = NewTable(DefaultConfig(), func(f *Flow) { out = append(out, f) })
	for i := range segs[:3] {
		tab.Process(&segs[i])
	}
	finned := acking(seg(c, 4, 1001, fin, ""), 5001)
	reset = acking(seg(s, 5, 5001, ack|rst, ""), 1002)
	tab.Process(&finned)
	tab.Process(&reset)
	if len(out) != 1 || out[0].EndReason != EndRST {
		t.Fatalf("reset of a FIN seen: %d flows %+v", len(out), out)
	}
}
