package flow

import "testing"

// TestDataBeforeStart: data at sequence numbers before the stream's first
// byte (a badseq decoy) is no stream byte: the real hello stays in the
// flow and the decoy is reported with the offset it claimed; a segment
// that runs on into the stream keeps its later bytes (a receiver trims
// it); a keep-alive probe at the ISN is no data; a flow picked up
// mid-stream has no known start.
func TestDataBeforeStart(t *testing.T) {
	const c, s = true, false
	psh := FlagPSH | FlagACK
	for _, tc := range []struct {
		name       string
		segs       []Segment
		prefix     string
		off, n, by int // the client's before-start record (n = 0: none)
		counted    uint64
		retrans    uint64
	}{
		{"decoy 10000 back", []Segment{seg(c, 0, 100000, syn, ""), seg(s, 1, 5000, synack, ""),
			seg(c, 2, 100001-10000, psh, "fake!"), seg(c, 3, 100001, psh, "hello"), seg(c, 4, 100001-9990, psh, "again"),
			seg(s, 5, 5001, psh, "HI")}, "helloHI", -10000, 2, 10, 2, 0},
		{"straddling the start", []Segment{seg(c, 0, 100000, syn, ""), seg(s, 1, 5000, synack, ""),
			seg(c, 2, 99998, psh, "xyzhello"), seg(s, 3, 5001, psh, "HI")}, "helloHI", -3, 1, 8, 1, 0},
		{"keep-alive at the ISN", []Segment{seg(c, 0, 100000, syn, ""), seg(s, 1, 5000, synack, ""),
			seg(c, 2, 100000, ack, "x"), seg(c, 3, 100001, psh, "hello"), seg(s, 4, 5001, psh, "HI")}, "helloHI", 0, 0, 0, 0, 1},
		{"mid-stream", []Segment{seg(c, 0, 100001, psh, "hello"), seg(c, 1, 100001-10000, psh, "fake!"),
			seg(s, 2, 5001, psh, "HI")}, "helloHI", 0, 0, 0, 0, 1},
	} {
		f, st := oneFlow(t, tc.name, tc.segs)
		if string(f.Prefix) != tc.prefix || f.ClientConflict != nil || f.ServerBeforeStart != nil {
			t.Errorf("%s: prefix %q, conflict %+v, server's %+v: want %q and nothing else", tc.name, f.Prefix, f.ClientConflict, f.ServerBeforeStart, tc.prefix)
		}
		b := f.ClientBeforeStart
		switch {
		case tc.n == 0 && b != nil:
			t.Errorf("%s: data before the start %+v, want none", tc.name, b)
		case tc.n > 0 && (b == nil || b.Offset != tc.off || b.Segments != tc.n || b.Bytes != tc.by):
			t.Errorf("%s: data before the start %+v, want offset %d, %d segments, %d bytes", tc.name, b, tc.off, tc.n, tc.by)
		}
		if st.DataBeforeStart != tc.counted || st.Retransmits != tc.retrans {
			t.Errorf("%s: Stats.DataBeforeStart = %d (want %d), Retransmits = %d (want %d)", tc.name, st.DataBeforeStart, tc.counted, st.Retransmits, tc.retrans)
		}
	}
}

// TestSYNACKResentWithOtherSeq: of a server's SYN-ACKs with different
// sequence numbers (nDPI's tls_multiple_synack_different_seq capture), the
// one the client acknowledges starts the server's stream.
func TestSYNACKResentWithOtherSeq(t *testing.T) {
	const c, s = true, false
	hello := seg(c, 3, 100001, FlagPSH|FlagACK, "hello")
	hello.Ack = 9001
	flows := runSegments(t, Config{TLSPorts: []int{}}, []Segment{seg(c, 0, 100000, syn, ""),
		seg(s, 1, 5000, synack, ""), seg(s, 2, 9000, synack, ""), hello, seg(s, 4, 9001, FlagPSH|FlagACK, "HI")})
	if len(flows) != 1 {
		t.Fatalf("%d flows, want 1", len(flows))
	}
	if f := flows[0]; string(f.Prefix) != "helloHI" || f.ServerBeforeStart != nil {
		t.Errorf("prefix %q, server's data before the start %+v: want the server's bytes in the stream", f.Prefix, f.ServerBeforeStart)
	}
}

// TestUnexpectedSignature: data on a segment with a TCP signature option
// (a md5sig decoy) is no stream byte when the side's SYN had none; on a
// connection signed from its SYN (BGP's way), or picked up mid-stream,
// signed data is the stream.
func TestUnexpectedSignature(t *testing.T) {
	const c, s = true, false
	signed := func(sg Segment) Segment { sg.Signed = true; return sg }
	for _, tc := range []struct {
		name   string
		segs   []Segment
		prefix string
		n      int // client segments reported (0: none)
	}{
		{"decoy after an unsigned SYN", []Segment{seg(c, 0, 100000, syn, ""), seg(s, 1, 5000, synack, ""),
			signed(seg(c, 2, 100001, ack|FlagPSH, "fake!")), seg(c, 3, 100001, ack|FlagPSH, "hello"), signed(seg(c, 4, 100001, ack|FlagPSH, "again")),
			seg(s, 5, 5001, ack|FlagPSH, "HI")}, "helloHI", 2},
		{"signed from the SYN", []Segment{signed(seg(c, 0, 100000, syn, "")), signed(seg(s, 1, 5000, synack, "")),
			signed(seg(c, 2, 100001, ack|FlagPSH, "hello")), signed(seg(s, 3, 5001, ack|FlagPSH, "HI"))}, "helloHI", 0},
		{"mid-stream", []Segment{signed(seg(c, 0, 100001, ack|FlagPSH, "hello")), seg(s, 1, 5001, ack|FlagPSH, "HI")}, "helloHI", 0},
	} {
		f, st := oneFlow(t, tc.name, tc.segs)
		if string(f.Prefix) != tc.prefix || f.ClientConflict != nil || f.ServerSigned != nil {
			t.Errorf("%s: prefix %q, conflict %+v, server's %+v: want %q and nothing else", tc.name, f.Prefix, f.ClientConflict, f.ServerSigned, tc.prefix)
		}
		switch k := f.ClientSigned; {
		case tc.n == 0 && k != nil:
			t.Errorf("%s: signed data %+v, want none", tc.name, k)
		case tc.n > 0 && (k == nil || k.Offset != 0 || string(k.Data) != "fake!" || k.Segments != tc.n):
			t.Errorf("%s: signed data %+v, want %d segments from offset 0", tc.name, k, tc.n)
		}
		if st.UnexpectedSignature != uint64(tc.n) {
			t.Errorf("%s: Stats.UnexpectedSignature = %d, want %d", tc.name, st.UnexpectedSignature, tc.n)
		}
	}
}

// oneFlow runs segs through a table and returns its one flow and its
// counters; the test named name fails unless one flow came.
func oneFlow(t *testing.T, name string, segs []Segment) (*Flow, Stats) {
	t.Helper()
	var got []*Flow
	tab, err := NewTable(Config{TLSPorts: []int{}}, func(f *Flow) { got = append(got, f) })
	if err != nil {
		t.Fatal(err)
	}
	for i := range segs {
		tab.Process(&segs[i])
	}
	tab.Flush()
	if len(got) != 1 {
		t.Fatalf("%s: %d flows, want 1", name, len(got))
	}
	return got[0], tab.Stats()
}
