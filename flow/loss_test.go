package flow

import (
	"bytes"
	"slices"
	"testing"
)

// bigHello is a ClientHello record of 600 bytes, to be cut in two
// segments.
var bigHello = tlsRecord(22, hsMessage(1, append([]byte{3, 3}, bytes.Repeat([]byte{7}, 591)...)))

// TestLostLastSegment: a hello whose last segment the capture lost, with
// nothing of the client's after it but its FIN, or its server's
// acknowledgement of the lost bytes, is a gap, not a hello the client
// cut short; a client that stopped where the capture did is not.
func TestLostLastSegment(t *testing.T) {
	const c, s = true, false
	cut := 300
	open := []Segment{seg(c, 0, 1000, syn, ""), seg(s, 1, 5000, synack, ""), seg(c, 2, 1001, ack, ""),
		seg(c, 3, 1001, ack, string(bigHello[:cut]))}
	end := uint32(1001 + len(bigHello))
	ackOf := func(n uint32) Segment { sg := seg(s, 4, 5001, ack, ""); sg.Ack = n; return sg }
	cases := []struct {
		name string
		then []Segment
		lost bool
	}{
		{"FIN after the lost bytes", []Segment{seg(c, 5, end, fin, ""), seg(s, 6, 5001, fin, "")}, true},
		{"server acknowledged them", []Segment{ackOf(end)}, true},
		{"FIN's own packet lost, acknowledged", []Segment{ackOf(1001 + uint32(cut) + 1)}, false},
		{"an acknowledgement out of any window", []Segment{ackOf(1001 + 1<<31)}, false},
		{"client stopped there", []Segment{ackOf(1001 + uint32(cut)), seg(c, 5, 1001+uint32(cut), fin, ""), seg(s, 6, 5001, fin, "")}, false},
	}
	for _, tc := range cases {
		out := runSegments(t, DefaultConfig(), slices.Concat(open, tc.then))
		if len(out) != 1 {
			t.Fatalf("%s: %d flows, want 1", tc.name, len(out))
		}
		f := out[0]
		if f.ClientHandshakeGap != tc.lost || f.ClientHoled != tc.lost {
			t.Errorf("%s: handshake gap %v, holed %v; want %v", tc.name, f.ClientHandshakeGap, f.ClientHoled, tc.lost)
		}
		if tc.lost && f.ClientIntact != cut {
			t.Errorf("%s: %d client bytes intact, want %d", tc.name, f.ClientIntact, cut)
		}
	}
}

// TestIntactBeforeHole: after a hole, a side's prefix goes on with the
// bytes after it; Intact says where they start, counted in the side's
// own bytes.
func TestIntactBeforeHole(t *testing.T) {
	const c, s = true, false
	lost := string(ccsRec)
	segs := []Segment{seg(c, 0, 1000, syn, ""), seg(s, 1, 5000, synack, ""), seg(c, 2, 1001, ack, ""),
		seg(c, 3, 1001, ack, string(clientHelloRec)), seg(s, 4, 5001, ack, string(tlsRecord(22, serverHelloMsg(nil)))),
		// the client's ccs lost; its application data follows
		seg(c, 5, 1001+uint32(len(clientHelloRec)+len(lost)), ack, string(appDataRec))}
	out := runSegments(t, DefaultConfig(), segs)
	if len(out) != 1 {
		t.Fatalf("%d flows, want 1", len(out))
	}
	f := out[0]
	if !f.ClientHoled || f.ClientIntact != len(clientHelloRec) || f.ServerHoled {
		t.Fatalf("client holed %v intact %d, server holed %v: want true %d false", f.ClientHoled, f.ClientIntact, f.ServerHoled, len(clientHelloRec))
	}
	if got := f.SideBytes(true, PrefixSize); !bytes.Equal(got, slices.Concat(clientHelloRec, appDataRec)) {
		t.Errorf("client's prefix bytes % x: want the hello, then the application data", got)
	}
}

// TestKeepAliveAfterHole: a keep-alive (one garbage byte just before
// what the side has sent) after a hole in the capture is no second
// version of the stream.
func TestKeepAliveAfterHole(t *testing.T) {
	const c, s = true, false
	segs := []Segment{seg(c, 0, 1000, syn, ""), seg(s, 1, 5000, synack, ""), seg(c, 2, 1001, ack, ""),
		// bytes 1001-1100 lost
		seg(c, 3, 1101, ack, "GET / HTTP/1.1\r\n\r\n"), seg(c, 4, 1101+17, ack, "\x00")}
	out := runSegments(t, DefaultConfig(), segs)
	if len(out) != 1 {
		t.Fatalf("%d flows, want 1", len(out))
	}
	if k := out[0].ClientConflict; k != nil {
		t.Errorf("keep-alive taken for a conflicting overlap: %+v", k)
	}
	// Two bytes that contradict the last two sent are no keep-alive.
	segs[len(segs)-1] = seg(c, 4, 1101+16, ack, "\x01\x01")
	if f := runSegments(t, DefaultConfig(), segs)[0]; f.ClientConflict == nil {
		t.Error("two contradicting bytes past a hole not seen as a conflict")
	}
}
