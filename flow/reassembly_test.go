package flow

import (
	"bytes"
	"testing"
	"time"
)

var (
	cliEP = Endpoint{Addr: [16]byte{10: 0xff, 11: 0xff, 12: 10, 15: 1}, Port: 50000}
	srvEP = Endpoint{Addr: [16]byte{10: 0xff, 11: 0xff, 12: 10, 15: 2}, Port: 443}
)

// seg builds a segment; fromClient picks the direction.
func seg(fromClient bool, t int, seq uint32, flags uint8, payload string) Segment {
	s := Segment{Time: int64(t) * int64(time.Millisecond), Seq: seq, Flags: flags, Payload: []byte(payload), PayloadLen: len(payload), WireLen: 54 + len(payload)}
	if fromClient {
		s.Src, s.Dst = cliEP, srvEP
	} else {
		s.Src, s.Dst = srvEP, cliEP
	}
	return s
}

// acking is sg carrying acknowledgement number ack.
func acking(sg Segment, ack uint32) Segment {
	sg.Ack = ack
	return sg
}

func runSegments(t *testing.T, cfg Config, segs []Segment) []*Flow {
	t.Helper()
	var out []*Flow
	tab, err := NewTable(cfg, func(f *Flow) { out = append(out, f) })
	if err != nil {
		t.Fatal(err)
	}
	for i := range segs {
		tab.Process(&segs[i])
	}
	tab.Flush()
	return out
}

const (
	syn    = FlagSYN
	synack = FlagSYN | FlagACK
	ack    = FlagACK
	fin    = FlagFIN | FlagACK
	rst    = FlagRST
)

func TestReassemblySequences(t *testing.T) {
	const c, s = true, false
	// ISNs: client 1000, server 5000; wrap case: client near 2^32.
	var wrapISN uint32 = 0xfffffff0
	cases := []struct {
		name      string
		segs      []Segment
		prefix    string
		gap       bool
		end       EndReason
		midstream bool
		client    Endpoint
	}{
		{
			name: "in order, both directions, FIN",
			segs: []Segment{
				seg(c, 0, 1000, syn, ""), seg(s, 1, 5000, synack, ""), seg(c, 2, 1001, ack, ""),
				seg(c, 3, 1001, ack, "hello "), seg(c, 4, 1007, ack, "world"),
				seg(s, 5, 5001, ack, "HI"),
				seg(c, 6, 1012, fin, ""), seg(s, 7, 5003, fin, ""),
			},
			prefix: "hello worldHI", end: EndFIN, client: cliEP,
		},
		{
			name: "out of order within a flight",
			segs: []Segment{
				seg(c, 0, 1000, syn, ""), seg(s, 1, 5000, synack, ""),
				seg(c, 3, 1007, ack, "world"), seg(c, 4, 1001, ack, "hello "),
				seg(s, 5, 5001, ack, "HI"),
			},
			prefix: "hello worldHI", end: EndFlush, client: cliEP,
		},
		{
			name: "exact retransmission is dropped",
			segs: []Segment{
				seg(c, 0, 1000, syn, ""), seg(s, 1, 5000, synack, ""),
				seg(c, 3, 1001, ack, "abc"), seg(c, 4, 1001, ack, "abc"), seg(c, 5, 1004, ack, "def"),
			},
			prefix: "abcdef", end: EndFlush, client: cliEP,
		},
		{
			name: "overlap: first data wins",
			segs: []Segment{
				seg(c, 0, 1000, syn, ""), seg(s, 1, 5000, synack, ""),
				seg(c, 3, 1001, ack, "abcd"), seg(c, 4, 1003, ack, "XXef"),
			},
			prefix: "abcdef", end: EndFlush, client: cliEP,
		},
		{
			name: "overlap among buffered segments: first data wins",
			segs: []Segment{
				seg(c, 0, 1000, syn, ""), seg(s, 1, 5000, synack, ""),
				seg(c, 3, 1004, ack, "def"), seg(c, 4, 1003, ack, "XYZW"), seg(c, 5, 1001, ack, "ab"),
			},
			// "XYZW" (seq 1003) arrived after "def" (1004) but starts first: it is
			// delivered first when the hole closes, then "def" loses its overlap.
			prefix: "abXYZW", end: EndFlush, client: cliEP,
		},
		{
			name: "gap never filled: skipped at the end, flagged",
			segs: []Segment{
				seg(c, 0, 1000, syn, ""), seg(s, 1, 5000, synack, ""),
				seg(c, 3, 1001, ack, "abc"), seg(c, 4, 1010, ack, "xyz"),
			},
			prefix: "abcxyz", gap: true, end: EndFlush, client: cliEP,
		},
		{
			name: "RST ends the flow",
			segs: []Segment{
				seg(c, 0, 1000, syn, ""), seg(s, 1, 5000, synack, ""),
				seg(c, 3, 1001, ack, "abc"), seg(s, 4, 5001, rst, ""),
				seg(c, 5, 1004, ack, "late"),
			},
			prefix: "abc", end: EndRST, client: cliEP,
		},
		{
			name: "sequence numbers wrap around 2^32",
			segs: []Segment{
				seg(c, 0, wrapISN, syn, ""), seg(s, 1, 5000, synack, ""),
				seg(c, 3, wrapISN+1+10, ack, "0123456789"), // crosses 2^32
				seg(c, 4, wrapISN+1, ack, "abcdefghij"),
				seg(c, 5, wrapISN+1+20, ack, "!"),
			},
			prefix: "abcdefghij0123456789!", end: EndFlush, client: cliEP,
		},
		{
			name: "mid-stream pickup, ClientHello decides the client",
			segs: []Segment{
				seg(s, 0, 7000, ack, ""),
				seg(c, 1, 3000, ack, "\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00"),
			},
			// A ClientHello of 1 byte cannot be one: decided at once.
			prefix: "\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00", midstream: true, end: EndDecided, client: cliEP,
		},
		{
			name: "mid-stream without a greeting: higher port is the client",
			segs: []Segment{
				seg(s, 0, 7000, ack, "server talks"),
				seg(c, 1, 3000, ack, "client"),
			},
			prefix: "server talksclient", midstream: true, end: EndFlush, client: cliEP,
		},
		{
			name: "lost SYN-ACK: the client's ACK tells where the server starts",
			segs: []Segment{
				seg(c, 0, 1000, syn, ""),
				withAck(seg(c, 2, 1001, ack, ""), 5001),
				seg(c, 3, 1001, ack, "req"),
				seg(s, 5, 5004, ack, "def"), // arrives before its predecessor
				seg(s, 6, 5001, ack, "abc"),
			},
			prefix: "reqabcdef", end: EndFlush, client: cliEP,
		},
		{
			name: "SYN retransmitted with the same ISN is one connection",
			segs: []Segment{
				seg(c, 0, 1000, syn, ""), seg(c, 1000, 1000, syn, ""), seg(s, 1001, 5000, synack, ""),
				seg(c, 1002, 1001, ack, "x"),
			},
			prefix: "x", end: EndFlush, client: cliEP,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// No TLS port: a client's text on port 443 would decide the flow.
			flows := runSegments(t, Config{TLSPorts: []int{}}, tc.segs)
			if len(flows) != 1 {
				t.Fatalf("%d flows, want 1", len(flows))
			}
			f := flows[0]
			if !bytes.Equal(f.Prefix, []byte(tc.prefix)) {
				t.Errorf("prefix %q, want %q", f.Prefix, tc.prefix)
			}
			if f.PrefixGap != tc.gap {
				t.Errorf("gap %v, want %v", f.PrefixGap, tc.gap)
			}
			if f.EndReason != tc.end {
				t.Errorf("end %v, want %v", f.EndReason, tc.end)
			}
			if f.Midstream != tc.midstream {
				t.Errorf("midstream %v, want %v", f.Midstream, tc.midstream)
			}
			if f.Client != tc.client {
				t.Errorf("client %v, want %v", f.Client.AddrPort(), tc.client.AddrPort())
			}
		})
	}
}

func withAck(s Segment, ackNo uint32) Segment {
	s.Ack = ackNo
	return s
}

func TestPortReuseStartsNewFlow(t *testing.T) {
	const c, s = true, false
	flows := runSegments(t, Config{}, []Segment{
		seg(c, 0, 1000, syn, ""), seg(s, 1, 5000, synack, ""), seg(c, 2, 1001, ack, "one"),
		seg(c, 3, 1004, fin, ""),
		seg(c, 10, 9000, syn, ""), seg(s, 11, 7000, synack, ""), seg(c, 12, 9001, ack, "two"),
	})
	if len(flows) != 2 || string(flows[0].Prefix) != "one" || string(flows[1].Prefix) != "two" {
		t.Fatalf("got %d flows %v", len(flows), flows)
	}
	if flows[0].EndReason != EndReused {
		t.Errorf("first flow ended %v, want reused", flows[0].EndReason)
	}
	if flows[0].ID == flows[1].ID {
		t.Error("both connections have the same flow id")
	}
}

func TestIdleTimeoutInPacketTime(t *testing.T) {
	const c = true
	var out []*Flow
	tab, _ := NewTable(Config{IdleTimeout: 5 * time.Second}, func(f *Flow) { out = append(out, f) })
	a := seg(c, 0, 1000, syn, "")
	tab.Process(&a)
	other := seg(c, 7000, 1, ack, "x")
	other.Src.Port = 40000
	tab.Process(&other) // 7 s later in packet time: the first flow is idle
	if len(out) != 1 || out[0].EndReason != EndIdle {
		t.Fatalf("got %v, want the first flow ended idle", out)
	}
}

func TestSnaplenCutSegmentIsAGap(t *testing.T) {
	const c, s = true, false
	cut := seg(c, 3, 1001, ack, "abc")
	cut.PayloadLen = 10 // seven bytes not captured
	flows := runSegments(t, Config{}, []Segment{
		seg(c, 0, 1000, syn, ""), seg(s, 1, 5000, synack, ""), cut, seg(c, 4, 1011, ack, "def"),
	})
	if string(flows[0].Prefix) != "abcdef" || !flows[0].PrefixGap {
		t.Fatalf("prefix %q gap %v, want abcdef with a gap", flows[0].Prefix, flows[0].PrefixGap)
	}
}

func TestPrefixRuns(t *testing.T) {
	const c, s = true, false
	flows := runSegments(t, Config{TLSPorts: []int{}}, []Segment{ // no TLS port: the server's answer would decide the flow
		seg(c, 0, 1000, syn, ""), seg(s, 1, 5000, synack, ""),
		seg(c, 2, 1001, ack, "ab"), seg(c, 3, 1003, ack, "cd"), seg(s, 4, 5001, ack, "XYZ"), seg(c, 5, 1005, ack, "e"),
	})
	f := flows[0]
	want := []PrefixRun{{FromClient: true, Len: 4}, {FromClient: false, Len: 3}, {FromClient: true, Len: 1}}
	if len(f.PrefixRuns) != len(want) {
		t.Fatalf("runs %+v, want %+v", f.PrefixRuns, want)
	}
	for i := range want {
		if f.PrefixRuns[i] != want[i] {
			t.Fatalf("runs %+v, want %+v", f.PrefixRuns, want)
		}
	}
	if string(f.SideBytes(true, 100)) != "abcde" || string(f.SideBytes(false, 100)) != "XYZ" || string(f.SideBytes(true, 3)) != "abc" {
		t.Errorf("side bytes %q / %q", f.SideBytes(true, 100), f.SideBytes(false, 100))
	}
}

// A flow knows the client's first bytes only when the capture saw its SYN:
// a SYN may carry data (TCP Fast Open), and a capture that starts at the
// server's SYN-ACK is not mid-stream, yet may have missed a hello.
func TestClientSYNSeen(t *testing.T) {
	c, s := true, false
	for _, tc := range []struct {
		name string
		segs []Segment
		want bool
	}{
		{"from the SYN", []Segment{seg(c, 0, 1000, syn, ""), seg(s, 1, 5000, synack, ""), seg(c, 2, 1001, ack, "hello")}, true},
		{"from the SYN-ACK", []Segment{seg(s, 1, 5000, synack, ""), seg(c, 2, 1001, ack, "hello")}, false},
		{"mid-stream", []Segment{seg(s, 0, 7000, ack, "server talks"), seg(c, 1, 3000, ack, "client")}, false},
	} {
		flows := runSegments(t, Config{TLSPorts: []int{}}, tc.segs)
		if len(flows) != 1 {
			t.Fatalf("%s: %d flows, want 1", tc.name, len(flows))
		}
		if f := flows[0]; f.ClientSYN != tc.want || f.Midstream && tc.want {
			t.Errorf("%s: client SYN seen %v (midstream %v), want %v", tc.name, f.ClientSYN, f.Midstream, tc.want)
		}
	}
}
