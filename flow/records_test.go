package flow

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
)

// heartbeatRec is a heartbeat record in clear: message type, declared
// payload length, then n bytes.
func heartbeatRec(typ byte, declared, n int) []byte {
	return tlsRecord(24, append([]byte{typ, byte(declared >> 8), byte(declared)}, make([]byte, n)...))
}

// walkAll feeds stream to a walk started at offset start, cut at the
// given offsets, and returns its log.
func walkAll(stream []byte, start, limit int, cuts []int) []RecordHeader {
	var w recordWalk
	w.start(start)
	off := 0
	for _, c := range append(cuts, len(stream)) {
		if c < off {
			continue
		}
		w.feed(stream[off:c], off, limit)
		off = c
	}
	return w.log
}

// TestRecordWalkAcrossChunks: the log is the same wherever the segments
// cut the stream, heads are kept only in clear, and bytes before the
// first handshake record are skipped.
func TestRecordWalkAcrossChunks(t *testing.T) {
	preamble := []byte("STARTTLS\r\n")
	stream := slices.Concat(preamble, clientHelloRec, heartbeatRec(1, 0x4000, 0), ccsRec, appDataRec, tlsRecord(24, make([]byte, 32)))
	want := []RecordHeader{
		{Type: 22, Clear: true, HeadLen: 3, Head: [3]byte{1, 0, 0}, Len: uint16(len(clientHelloRec) - 5)},
		{Type: 24, Clear: true, HeadLen: 3, Head: [3]byte{1, 0x40, 0}, Len: 3},
		{Type: 20, Clear: true, HeadLen: 1, Head: [3]byte{1}, Len: 1},
		{Type: 23, Len: 40},
		{Type: 24, Len: 32},
	}
	if got := walkAll(stream, len(preamble), 1<<20, nil); !slices.Equal(got, want) {
		t.Fatalf("one chunk:\n got %+v\nwant %+v", got, want)
	}
	every := make([]int, len(stream))
	for i := range every {
		every[i] = i
	}
	if got := walkAll(stream, len(preamble), 1<<20, every); !slices.Equal(got, want) {
		t.Fatalf("byte by byte:\n got %+v\nwant %+v", got, want)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		cuts := make([]int, r.IntN(8))
		for i := range cuts {
			cuts[i] = r.IntN(len(stream))
		}
		slices.Sort(cuts)
		if got := walkAll(stream, len(preamble), 1<<20, cuts); !slices.Equal(got, want) {
			t.Fatalf("cut at %v:\n got %+v\nwant %+v", cuts, got, want)
		}
	}
}

// TestRecordWalkStops: at a header no TLS stack writes, at the limit, and
// with the log full.
func TestRecordWalkStops(t *testing.T) {
	broken := slices.Concat(clientHelloRec, []byte("GET / HTTP/1.1\r\n"), appDataRec)
	if got := walkAll(broken, 0, 1<<20, nil); len(got) != 1 {
		t.Errorf("after broken framing: %d records, want the hello alone", len(got))
	}
	two := slices.Concat(clientHelloRec, appDataRec, appDataRec)
	if got := walkAll(two, 0, len(clientHelloRec)+len(appDataRec), nil); len(got) != 2 {
		t.Errorf("at the limit: %d records, want 2 (a header at the limit is past it)", len(got))
	}
	many := bytes.Repeat(appDataRec, MaxRecordLog+5)
	var w recordWalk
	w.start(0)
	w.feed(many, 0, 1<<20)
	if len(w.log) != MaxRecordLog || w.active() {
		t.Errorf("%d records logged, active %v: want the log full and the walk done", len(w.log), w.active())
	}
}

// helloOffering is a ClientHello record listing the given extensions.
func helloOffering(exts ...uint16) []byte {
	body := []byte{3, 3}
	body = append(body, make([]byte, 32)...)
	body = append(body, 0, 0, 2, 0x13, 0x01, 1, 0)
	var ext []byte
	for _, e := range exts {
		ext = append(ext, byte(e>>8), byte(e), 0, 1, 1)
	}
	body = append(body, byte(len(ext)>>8), byte(len(ext)))
	return tlsRecord(22, hsMessage(1, append(body, ext...)))
}

// serverHelloTLS13 is a ServerHello that chose TLS 1.3 (supported_versions).
func serverHelloTLS13() []byte {
	body := append([]byte{3, 3}, make([]byte, 32)...)
	body = append(body, 0, 0x13, 0x01, 0, 0, 6, 0, 43, 0, 2, 3, 4)
	return hsMessage(2, body)
}

// watchRun runs a handshake whose client sends hello and whose server
// answers with serverHello and a flight padded to fill the prefix, then
// the client's writes and the server's answers, one segment each, and
// returns what was handed out before the table was flushed, and in all.
func watchRun(t *testing.T, hello, serverHello []byte, client, server []byte) (handed []*Flow, all []*Flow) {
	t.Helper()
	const c, s = true, false
	flight := slices.Concat(tlsRecord(22, serverHello), tlsRecord(22, hsMessage(11, make([]byte, 1100))), tlsRecord(22, hsMessage(14, nil)))
	segs := []Segment{seg(c, 0, 1000, syn, ""), seg(s, 1, 5000, synack, ""), seg(c, 2, 1001, ack, string(hello)),
		seg(s, 3, 5001, ack, string(flight))}
	cseq, sseq := uint32(1001+len(hello)), uint32(5001+len(flight))
	if len(client) > 0 {
		segs = append(segs, seg(c, 4, cseq, ack, string(client)))
	}
	if len(server) > 0 {
		segs = append(segs, seg(s, 5, sseq, ack, string(server)))
	}
	tab, out := earlyTable(t, DefaultConfig())
	for i := range segs {
		tab.Process(&segs[i])
	}
	handed = slices.Clone(*out)
	tab.Flush()
	return handed, *out
}

// TestHeartbeatWatch: a connection whose server chose TLS 1.2 or older is
// followed past the handshake until the client sends application data
// (or, having sent a heartbeat, until the server answers), whatever the
// client offered, and its record headers show what came; one whose
// server chose TLS 1.3 is handed out at its handshakes as before.
func TestHeartbeatWatch(t *testing.T) {
	second := slices.Concat(tlsRecord(22, hsMessage(16, make([]byte, 66))), ccsRec, tlsRecord(22, make([]byte, 40)))
	modern := helloOffering(0, 10, 43)
	if handed, _ := watchRun(t, modern, serverHelloTLS13(), nil, nil); len(handed) != 1 || handed[0].EndReason != EndComplete {
		t.Fatalf("TLS 1.3 chosen: handed out %d flows at the handshakes, want 1", len(handed))
	}
	tls12 := serverHelloMsg(nil)
	for _, hello := range [][]byte{helloOffering(0, 10), helloOffering(0, 15), modern} {
		if handed, _ := watchRun(t, hello, tls12, second, nil); len(handed) != 0 {
			t.Fatalf("hello % x: handed out before the client's application data", hello[:12])
		}
		handed, _ := watchRun(t, hello, tls12, slices.Concat(second, appDataRec), nil)
		if len(handed) != 1 || handed[0].EndReason != EndComplete {
			t.Fatalf("handed out %d flows after the client's application data, want 1 complete", len(handed))
		}
		if got := handed[0].ClientRecords; len(got) != 5 || got[4].Type != 23 || got[4].Clear {
			t.Errorf("client records %+v: want hello, key exchange, ccs, finished, application data", got)
		}
		// A heartbeat: the verdict waits for the server's answer.
		probe := heartbeatRec(1, 0x4000, 0) // in clear, before the key exchange
		if handed, all := watchRun(t, hello, tls12, probe, nil); len(handed) != 0 || len(all) != 1 {
			t.Fatalf("heartbeat unanswered: %d handed out (want 0), %d in all", len(handed), len(all))
		}
		handed, _ = watchRun(t, hello, tls12, probe, heartbeatRec(2, 0x4000, 0x4000))
		if len(handed) != 1 {
			t.Fatalf("heartbeat answered: %d flows handed out, want 1", len(handed))
		}
		srv := handed[0].ServerRecords
		if last := srv[len(srv)-1]; last.Type != 24 || last.Len != 3+0x4000 {
			t.Errorf("server's last record %+v: want the heartbeat answer", last)
		}
	}
}

// TestWatchWithFlightCut: a capture that lost the end of the server's
// flight (its last segments never came) still reads the client's second
// flight, which the whole ServerHello calls for: here a client
// certificate, as TLS client authentication sends it.
func TestWatchWithFlightCut(t *testing.T) {
	const c, s = true, false
	hello := helloOffering(0, 10)
	cert := tlsRecord(22, hsMessage(11, make([]byte, 1800)))
	shown := slices.Concat(tlsRecord(22, serverHelloMsg(nil)), cert[:1100]) // the rest never came
	second := slices.Concat(tlsRecord(22, hsMessage(11, make([]byte, 600))), tlsRecord(22, hsMessage(16, make([]byte, 66))), ccsRec)
	segs := []Segment{seg(c, 0, 1000, syn, ""), seg(s, 1, 5000, synack, ""), seg(c, 2, 1001, ack, string(hello)),
		seg(s, 3, 5001, ack, string(shown)), seg(c, 4, uint32(1001+len(hello)), ack, string(second))}
	tab, out := earlyTable(t, DefaultConfig())
	for i := range segs {
		tab.Process(&segs[i])
	}
	tab.Flush()
	if len(*out) != 1 {
		t.Fatalf("%d flows, want 1", len(*out))
	}
	got := (*out)[0].ClientRecords
	if len(got) != 4 || got[1].Type != 22 || got[1].Head[0] != 11 || got[3].Type != 20 {
		t.Fatalf("client records %+v: want hello, certificate, key exchange, ccs", got)
	}
	// A server that chose TLS 1.3 calls for no watch: the client's
	// encrypted flight is not followed.
	segs[3] = seg(s, 3, 5001, ack, string(slices.Concat(tlsRecord(22, serverHelloTLS13()), cert[:1100])))
	tab, out = earlyTable(t, DefaultConfig())
	for i := range segs {
		tab.Process(&segs[i])
	}
	tab.Flush()
	if got := (*out)[0].ClientRecords; len(got) != 1 {
		t.Errorf("TLS 1.3 chosen: client records %+v, want the hello alone", got)
	}
}

// FuzzRecordWalk: any bytes, cut anywhere, give the same log; it never
// holds more than MaxRecordLog headers, each of them valid.
func FuzzRecordWalk(f *testing.F) {
	f.Add(slices.Concat(clientHelloRec, heartbeatRec(1, 0x4000, 0), ccsRec, appDataRec), uint16(7), uint16(200))
	f.Add([]byte{22, 3, 1, 0, 1, 1, 24, 3, 3, 0, 0}, uint16(1), uint16(6))
	f.Fuzz(func(t *testing.T, stream []byte, cutA, cutB uint16) {
		one := walkAll(stream, 0, 1<<20, nil)
		cuts := []int{int(cutA) % (len(stream) + 1), int(cutB) % (len(stream) + 1)}
		slices.Sort(cuts)
		if cut := walkAll(stream, 0, 1<<20, cuts); !slices.Equal(one, cut) {
			t.Fatalf("cut at %v: %+v, in one piece %+v", cuts, cut, one)
		}
		if len(one) > MaxRecordLog {
			t.Fatalf("%d records logged", len(one))
		}
		for _, r := range one {
			if r.Type < 20 || r.Type > 24 || int(r.HeadLen) > min(3, int(r.Len)) || r.HeadLen > 0 && !r.Clear {
				t.Fatalf("record %+v", r)
			}
		}
	})
}
