package flow

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestAnswerWaitsForTheBytesItAcknowledges: with the directions merged
// out of order, a server's answer that acknowledges its client's request
// comes before the request, its client's SYN seen before it or not. The
// flow is the one the endpoints exchanged: request then answer in the
// prefix, the client's bytes judged first (HTTP on a TLS port, decided
// once answered), as in order.
func TestAnswerWaitsForTheBytesItAcknowledges(t *testing.T) {
	const c, s = true, false
	request, answer := "GET / HTTP/1.1\r\nHost: example\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n\r\n"
	end := 1001 + uint32(len(request))
	syn, synAck, ack1 := seg(c, 0, 1000, syn, ""), acking(seg(s, 1, 5000, synack, ""), 1001), acking(seg(c, 2, 1001, ack, ""), 5001)
	req, ans := acking(seg(c, 3, 1001, ack|FlagPSH, request), 5001), acking(seg(s, 4, 5001, ack|FlagPSH, answer), end)
	inOrder := runSegments(t, DefaultConfig(), []Segment{syn, synAck, ack1, req, ans})
	if len(inOrder) != 1 {
		t.Fatalf("in order: %d flows", len(inOrder))
	}
	want := inOrder[0]
	if string(want.Prefix) != request+answer || want.EndReason != EndDecided {
		t.Fatalf("in order: prefix %q, end %v", want.Prefix, want.EndReason)
	}
	for _, tc := range []struct {
		name string
		segs []Segment
	}{
		{"answer before the request", []Segment{syn, synAck, ack1, ans, req}},
		{"the server's side first", []Segment{synAck, ans, syn, ack1, req}},
		{"answer cut in two", []Segment{syn, synAck, ack1,
			acking(seg(s, 4, 5001, ack, answer[:9]), end), acking(seg(s, 5, 5010, ack|FlagPSH, answer[9:]), end), req}},
	} {
		out := runSegments(t, DefaultConfig(), tc.segs)
		if len(out) != 1 {
			t.Errorf("%s: %d flows", tc.name, len(out))
			continue
		}
		f := out[0]
		if !bytes.Equal(f.Prefix, want.Prefix) || len(f.PrefixRuns) != 2 || !f.PrefixRuns[0].FromClient || f.PrefixRuns[0].Len != len(request) ||
			f.EndReason != want.EndReason || f.PrefixGap {
			t.Errorf("%s: prefix %q, runs %+v, end %v, gap %v", tc.name, f.Prefix, f.PrefixRuns, f.EndReason, f.PrefixGap)
		}
	}
}

// heldConn is the one connection of tab.
func heldConn(t *testing.T, tab *Table) *conn {
	t.Helper()
	if len(tab.conns) != 1 {
		t.Fatalf("%d connections in the table", len(tab.conns))
	}
	for _, c := range tab.conns {
		return c
	}
	return nil
}

// TestHeldBytesGoOnWithoutTheirPeer: an answer whose acknowledged bytes
// the capture lost does not wait for them: not past a bare ACK of its
// client that shows the client's stream beyond them, not past heldQuiet,
// not past the flow's end. A server's long answer holds no more than the
// prefix takes. A capture of one direction holds nothing back that its
// flow misses.
func TestHeldBytesGoOnWithoutTheirPeer(t *testing.T) {
	const c, s = true, false
	answer := "HTTP/1.1 400 Bad Request\r\n\r\n"
	const lost = 40 // the request's length, never captured
	start := []Segment{seg(c, 0, 1000, syn, ""), acking(seg(s, 1, 5000, synack, ""), 1001), acking(seg(c, 2, 1001, ack, ""), 5001),
		acking(seg(s, 3, 5001, ack|FlagPSH, answer), 1001+lost)}
	table := func() *Table {
		tab, err := NewTable(DefaultConfig(), func(*Flow) {})
		if err != nil {
			t.Fatal(err)
		}
		for i := range start {
			tab.Process(&start[i])
		}
		if k := heldConn(t, tab); k.held == nil || len(k.prefix) != 0 {
			t.Fatalf("the answer is not held: held %v, prefix %q", k.held != nil, k.prefix)
		}
		return tab
	}
	released := func(name string, tab *Table, sg Segment) {
		t.Helper()
		tab.Process(&sg)
		if k := heldConn(t, tab); k.held != nil || string(k.prefix) != answer {
			t.Errorf("%s: held %v, prefix %q", name, k.held != nil, k.prefix)
		}
	}
	released("a bare ACK past the lost request", table(), acking(seg(c, 4, 1001+lost, ack, ""), 5001+uint32(len(answer))))
	released("heldQuiet later", table(), acking(seg(s, 4+int(2*heldQuiet/int64(time.Millisecond)), 5001+uint32(len(answer)), ack, ""), 1001+lost))
	// A bare ACK that shows no more than the bytes seen keeps it waiting.
	tab := table()
	keep := acking(seg(c, 4, 1001, ack, ""), 5001+uint32(len(answer)))
	tab.Process(&keep)
	if k := heldConn(t, tab); k.held == nil {
		t.Error("released by a bare ACK at the client's stream start")
	}

	// A server that sends far more than the prefix holds before its
	// client's bytes show: only what may enter the prefix is held, and the
	// flow is as in order.
	var done []*Flow
	tab, _ = NewTable(DefaultConfig(), func(f *Flow) { done = append(done, f) })
	for i := range start[:3] {
		tab.Process(&start[i])
	}
	request := strings.Repeat("r", lost)
	big := strings.Repeat("x", 1400)
	seq := uint32(5001)
	for i := range 20 {
		sg := acking(seg(s, 3+i, seq, ack, big), 1001+lost)
		tab.Process(&sg)
		seq += uint32(len(big))
		if k := heldConn(t, tab); k.held == nil || k.held.total() > PrefixSize {
			t.Fatalf("segment %d: held %v", i, k.held)
		}
	}
	late := acking(seg(c, 30, 1001, ack|FlagPSH, request), 5001)
	tab.Process(&late)
	tab.Flush()
	if len(done) != 1 || string(done[0].Prefix) != request+big[:PrefixSize-lost] {
		t.Errorf("after the request: %d flows %+v", len(done), done)
	}

	// At the flow's end, held bytes are its bytes.
	var out []*Flow
	tab, _ = NewTable(DefaultConfig(), func(f *Flow) { out = append(out, f) })
	for i := range start {
		tab.Process(&start[i])
	}
	tab.Flush()
	if len(out) != 1 || string(out[0].SideBytes(false, PrefixSize)) != answer {
		t.Fatalf("at the end: %d flows %+v", len(out), out)
	}

	// The server's direction alone, from its SYN-ACK: its answers go on
	// after heldQuiet, in one flow with every byte.
	var segs []Segment
	seq = 5001
	for i := range 30 {
		segs = append(segs, acking(seg(s, 100*i, seq, ack|FlagPSH, answer), 1001+lost))
		seq += uint32(len(answer))
	}
	out = runSegments(t, DefaultConfig(), append([]Segment{acking(seg(s, 0, 5000, synack, ""), 1001)}, segs...))
	if len(out) != 1 || len(out[0].SideBytes(false, PrefixSize)) != min(PrefixSize, 30*len(answer)) {
		t.Fatalf("one direction: %d flows %+v", len(out), out)
	}
}

// TestHeldBytesOverdueWithoutPackets: a connection whose held bytes wait
// heldQuiet with no packet after them is complete at that time, found by
// the sweep as by its next packet: the record does not depend on when
// the table looks.
func TestHeldBytesOverdueWithoutPackets(t *testing.T) {
	const c, s = true, false
	// A client's hello, then its server's flight (TLS 1.3, over the
	// prefix's size) acknowledging client bytes after the hello, which the
	// capture lost.
	hello := string(helloOffering(0, 10, 43))
	flight := string(slices.Concat(tlsRecord(22, serverHelloTLS13()), tlsRecord(22, hsMessage(11, make([]byte, 1100))), tlsRecord(22, hsMessage(14, nil))))
	segs := []Segment{seg(c, 0, 1000, syn, ""), acking(seg(s, 1, 5000, synack, ""), 1001), acking(seg(c, 2, 1001, ack|FlagPSH, hello), 5001),
		acking(seg(s, 3, 5001, ack, flight), 1001+uint32(len(hello))+50)}
	var viaSweep, viaPacket []*Flow
	for _, run := range []struct {
		out  *[]*Flow
		next func(tab *Table)
	}{
		{&viaSweep, func(tab *Table) { tab.Advance(time.Unix(0, segs[3].Time+3*heldQuiet)) }},
		{&viaPacket, func(tab *Table) {
			late := acking(seg(s, 3+int(3*heldQuiet/int64(time.Millisecond)), 5001+uint32(len(flight)), ack, ""), 1001+uint32(len(hello)))
			tab.Process(&late)
		}},
	} {
		tab, _ := NewTable(DefaultConfig(), func(f *Flow) { *run.out = append(*run.out, f) })
		for i := range segs {
			tab.Process(&segs[i])
		}
		if len(*run.out) != 0 {
			t.Fatal("handed out while the flight waits")
		}
		run.next(tab)
		tab.Flush()
	}
	at := time.Unix(0, segs[3].Time+heldQuiet).UTC()
	for i, out := range [][]*Flow{viaSweep, viaPacket} {
		if len(out) != 1 || out[0].EndReason != EndComplete || !out[0].Decided.Equal(at) || len(out[0].Prefix) != PrefixSize {
			t.Fatalf("run %d: %d flows %+v", i, len(out), out)
		}
	}
}
