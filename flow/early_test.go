package flow

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/bounds"
)

// earlyTable is a table with the default settings that records what it
// hands out.
func earlyTable(t *testing.T, cfg Config) (*Table, *[]*Flow) {
	t.Helper()
	var out []*Flow
	tab, err := NewTable(cfg, func(f *Flow) { out = append(out, f) })
	if err != nil {
		t.Fatal(err)
	}
	return tab, &out
}

// openWith runs a handshake to port 443 on tab, then the client's writes,
// one segment each, at 3, 4, 5... ms.
func openWith(tab *Table, client ...string) { openSide(tab, true, client...) }

// openSide runs a handshake to port 443 on tab, then one side's writes
// (the client's, or the server's before any of its client's), one segment
// each, at 3, 4, 5... ms, and returns the sequence number that side's next
// byte takes.
func openSide(tab *Table, fromClient bool, writes ...string) uint32 {
	const c, s = true, false
	segs := []Segment{seg(c, 0, 1000, syn, ""), seg(s, 1, 5000, synack, ""), seg(c, 2, 1001, ack, "")}
	seq := uint32(5001)
	if fromClient {
		seq = 1001
	}
	for i, p := range writes {
		segs = append(segs, seg(fromClient, 3+i, seq, ack, p))
		seq += uint32(len(p))
	}
	for i := range segs {
		tab.Process(&segs[i])
	}
	return seq
}

// at is packet time ms milliseconds after the test's start.
func at(ms int) time.Time { return time.Unix(0, int64(ms)*int64(time.Millisecond)) }

const sshBanner = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"

// TestNotTLSOnTLSPortDecidedWhenQuiet: an SSH client on port 443 that
// waits for the server is handed out (decided) after its first flight
// has held still a second, with the time its silence decided; then its
// later packets are counted, not a second flow.
func TestNotTLSOnTLSPortDecidedWhenQuiet(t *testing.T) {
	tab, out := earlyTable(t, Config{})
	openWith(tab, sshBanner, "kexinit and more")
	tab.Advance(at(900))
	if len(*out) != 0 {
		t.Fatalf("handed out before its first flight was over: %v", (*out)[0].EndReason)
	}
	tab.Advance(at(2100))
	if len(*out) != 1 || (*out)[0].EndReason != EndDecided {
		t.Fatalf("got %d flows (%v), want one decided", len(*out), *out)
	}
	f := (*out)[0]
	if want := at(3).UTC(); !f.Decided.Equal(want) {
		t.Errorf("decided at %v, want %v (the banner's packet)", f.Decided, want)
	}
	if string(f.Prefix) != sshBanner+"kexinit and more" {
		t.Errorf("prefix %q", f.Prefix)
	}
	late := seg(true, 3000, 1001+uint32(len(f.Prefix)), ack, "more")
	tab.Process(&late)
	tab.Flush()
	if len(*out) != 1 || tab.Stats().LateSegments != 1 || tab.Stats().Emitted[EndDecided] != 1 {
		t.Errorf("%d flows, %d late segments; want 1 and 1", len(*out), tab.Stats().LateSegments)
	}
}

// TestNotTLSOnTLSPortDecidedByAnswer: random bytes on 443 are decided
// when the server answers them, and a prefix full of them decides at once.
func TestNotTLSOnTLSPortDecidedByAnswer(t *testing.T) {
	rnd := make([]byte, 300)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range rnd {
		rnd[i] = byte(r.IntN(0x14)) // never a record's content type
	}
	tab, out := earlyTable(t, Config{})
	openWith(tab, string(rnd))
	answer := seg(false, 10, 5001, ack, "no")
	tab.Process(&answer)
	if len(*out) != 1 || (*out)[0].EndReason != EndDecided || !(*out)[0].Decided.Equal(at(10).UTC()) {
		t.Fatalf("got %v, want one flow decided at the answer", *out)
	}

	tab, out = earlyTable(t, Config{})
	openWith(tab, string(bytes.Repeat(rnd, 3)), string(bytes.Repeat(rnd, 2)))
	if len(*out) != 1 || (*out)[0].EndReason != EndDecided || len((*out)[0].Prefix) != PrefixSize {
		t.Fatalf("got %v, want one flow decided with a full prefix", *out)
	}
}

// TestTLSAndPreamblesAreNotDecided: a ClientHello, or a PROXY header, an
// HTTP CONNECT or an OpenVPN reset before one, cut anywhere, is not
// decided on its first bytes; text to a port that is not a TLS port, or
// first bytes a capture did not see, are not either.
func TestTLSAndPreamblesAreNotDecided(t *testing.T) {
	proxy2 := append(bytes.Clone(proxyV2), 0x21, 0x11, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 1, 187)
	for _, first := range []string{
		string(clientHelloRec),
		"PROXY TCP4 10.0.0.1 10.0.0.2 50000 443\r\n" + string(clientHelloRec),
		string(proxy2) + string(clientHelloRec),
		"CONNECT example.com:443 HTTP/1.1\r\n\r\n",
		"\x80\x2e\x01\x00\x02", // an SSLv2 hello's start
	} {
		for cut := 1; cut < min(len(first), 14); cut++ {
			tab, out := earlyTable(t, Config{})
			openWith(tab, first[:cut], first[cut:])
			tab.Advance(at(3000))
			if len(*out) != 0 && (*out)[0].EndReason == EndDecided {
				t.Fatalf("%q cut at %d: decided", first, cut)
			}
		}
	}
	other := srvEP
	other.Port = 22
	tab, out := earlyTable(t, Config{})
	for _, s := range []Segment{seg(true, 0, 1000, syn, ""), seg(true, 1, 1001, ack, sshBanner)} {
		s.Dst = other
		tab.Process(&s)
	}
	mid := seg(true, 2, 7000, ack, sshBanner) // no SYN: not its first bytes
	mid.Src.Port++
	tab.Process(&mid)
	tab.Advance(at(3000))
	if len(*out) != 0 {
		t.Fatalf("decided on port 22 or mid-stream: %v", *out)
	}
	// The operator's list: port 22 as a TLS port decides it.
	tab, out = earlyTable(t, Config{TLSPorts: []int{22}})
	for _, s := range []Segment{seg(true, 0, 1000, syn, ""), seg(true, 1, 1001, ack, sshBanner)} {
		s.Dst = other
		tab.Process(&s)
	}
	tab.Advance(at(3000))
	if len(*out) != 1 || (*out)[0].EndReason != EndDecided {
		t.Fatalf("port 22 in TLSPorts: got %v, want decided", *out)
	}
}

// TestSplitStartIsJudgedOnceWhole: first bytes that arrive a byte at a
// time are judged once there are enough of them.
func TestSplitStartIsJudgedOnceWhole(t *testing.T) {
	tab, out := earlyTable(t, Config{})
	openWith(tab, "P", "R", "O", "X", "Y", "Z!")
	tab.Advance(at(3000))
	if len(*out) != 1 || (*out)[0].EndReason != EndDecided {
		t.Fatalf("got %v, want PROXZ! decided", *out)
	}
}

// TestBrokenHandshakeDecided: a ClientHello whose lengths cannot be right,
// or a handshake record followed by bytes that are no record, decides the
// flow at once, on any port.
func TestBrokenHandshakeDecided(t *testing.T) {
	short := tlsRecord(22, hsMessage(1, []byte{3, 3, 0, 0})) // 4 bytes of ClientHello
	version := tlsRecord(22, hsMessage(1, append([]byte{9, 9}, make([]byte, 58)...)))
	sid := tlsRecord(22, hsMessage(1, append(append([]byte{3, 3}, make([]byte, 32)...), append([]byte{200}, make([]byte, 40)...)...)))
	// A hello said to be 200 bytes whose first record carries 60, then garbage.
	long := append(tlsRecord(22, append([]byte{1, 0, 0, 200, 3, 3}, make([]byte, 54)...)), "GET / HTTP/1.1\r\n"...)
	for name, hello := range map[string][]byte{"short": short, "version": version, "session id": sid, "garbage after": long} {
		for _, port := range []uint16{443, 5432} {
			tab, out := earlyTable(t, Config{})
			for _, s := range []Segment{seg(true, 0, 1000, syn, ""), seg(true, 1, 1001, ack, string(hello))} {
				s.Dst.Port = port
				tab.Process(&s)
			}
			if len(*out) != 1 || (*out)[0].EndReason != EndDecided {
				t.Errorf("%s on %d: got %v, want decided at once", name, port, *out)
			}
		}
	}
	// The well-formed hello waits for the server.
	tab, out := earlyTable(t, Config{})
	openWith(tab, string(clientHelloRec))
	if len(*out) != 0 {
		t.Fatalf("a good hello was handed out: %v", (*out)[0].EndReason)
	}
}

// TestVerdictTimeout: a ClientHello the server never answers is handed
// out after the verdict timeout of silence, with that time, and
// remembered; a connection that sent no payload waits for the idle
// timeout as before.
func TestVerdictTimeout(t *testing.T) {
	tab, out := earlyTable(t, Config{})
	openWith(tab, string(clientHelloRec))
	quiet := seg(true, 0, 1, syn, "") // a SYN and nothing else
	quiet.Src.Port = 40000
	tab.Process(&quiet)
	tab.Advance(at(9000))
	if len(*out) != 0 {
		t.Fatalf("handed out before the verdict timeout: %v", (*out)[0].EndReason)
	}
	tab.Advance(at(11000))
	if len(*out) != 1 || (*out)[0].EndReason != EndVerdictTimeout {
		t.Fatalf("got %v, want one flow at the verdict timeout", *out)
	}
	if want := at(3).Add(10 * time.Second).UTC(); !(*out)[0].Decided.Equal(want) {
		t.Errorf("decided at %v, want %v", (*out)[0].Decided, want)
	}
	late := seg(false, 12000, 5001, ack, string(tlsRecord(22, serverHelloMsg(nil))))
	tab.Process(&late)
	tab.Advance(at(121000))
	if len(*out) != 2 || (*out)[1].EndReason != EndIdle || tab.Stats().LateSegments != 1 {
		t.Fatalf("got %v, %d late; want the silent flow idle and the answer counted", *out, tab.Stats().LateSegments)
	}
}

// TestVerdictTimeoutBounds: the verdict timeout is at most the idle
// timeout, and the TLS ports are real ports given once.
func TestVerdictTimeoutBounds(t *testing.T) {
	c := DefaultConfig()
	c.VerdictTimeout = 3 * time.Minute
	c.TLSPorts = []int{443, 0, 70000, 443}
	err := c.Validate()
	for _, f := range []string{"VerdictTimeout", "TLSPorts"} {
		if !bounds.Is(err, f) {
			t.Errorf("%s not reported: %v", f, err)
		}
	}
	if n := len(bounds.Fields(err)); n != 4 {
		t.Errorf("%d errors, want 4: %v", n, err)
	}
	if _, err := NewTable(Config{IdleTimeout: 5 * time.Second}, func(*Flow) {}); err != nil {
		t.Errorf("a short idle timeout without a verdict timeout: %v", err)
	}
	if _, err := NewTable(Config{IdleTimeout: 5 * time.Second, VerdictTimeout: 6 * time.Second}, func(*Flow) {}); !errors.Is(err, ErrConfig) {
		t.Errorf("verdict timeout past the idle timeout accepted: %v", err)
	}
}

// FuzzStartsNoTLS: the judgement of first bytes, the client's or a
// server's that spoke first, never changes its mind as more bytes come:
// once it decides, every longer start decides the same.
func FuzzStartsNoTLS(f *testing.F) {
	for _, s := range []string{sshBanner, "PROXY TCP4", "CONNECT x", string(proxyV2), string(clientHelloRec[:8]), "\x80\x2e\x01\x00\x02\x00", "\x00\x2a\x38",
		"220 mx ESMTP\r\n", "\x15\x00\x00\x00\x02\x01\x00", "\x00\x10\x00\x00MZ\x90\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		b = b[:min(len(b), probeLen)]
		for side, judge := range [...]func([]byte) early{startsNoTLS, serverStartsNoTLS} {
			var first early
			for n := 1; n <= len(b); n++ {
				e := judge(b[:n])
				if first != earlyUnknown && e != first {
					t.Fatalf("side %d, % x: %d bytes say %d, %d said %d", side, b, n, e, n-1, first)
				}
				if e != earlyUnknown {
					first = e
				}
			}
			if len(b) == probeLen && first == earlyUnknown {
				t.Fatalf("side %d, % x: undecided after %d bytes", side, b, probeLen)
			}
		}
	})
}

// TestBannerThenTLSKeepsTheHandshake: a client that sends a banner of its
// own and then a ClientHello on port 443 is TLS after a preamble, not a
// client that does not speak TLS: its hello is kept whole, even when the
// prefix fills before the hello ends.
func TestBannerThenTLSKeepsTheHandshake(t *testing.T) {
	banner := "HELLO from a client of our own making\r\n"
	hello := tlsRecord(22, hsMessage(1, append([]byte{3, 3}, bytes.Repeat([]byte{7}, 1500)...)))
	tab, out := earlyTable(t, Config{})
	openWith(tab, banner, string(hello[:700]), string(hello[700:1400]), string(hello[1400:]))
	if len(*out) != 0 && (*out)[0].EndReason == EndDecided {
		t.Fatalf("decided before the hello ended: %d of %d hello bytes kept", len((*out)[0].ClientHandshake), len(hello))
	}
	tab.Advance(at(12000)) // the verdict timeout
	if len(*out) != 1 {
		t.Fatalf("got %d flows, want 1", len(*out))
	}
	if f := (*out)[0]; f.EndReason == EndDecided || !bytes.Equal(f.ClientHandshake, hello) {
		t.Errorf("ended %v with %d of %d hello bytes", f.EndReason, len(f.ClientHandshake), len(hello))
	}
}

// openServerFirst runs a handshake to port 443 on tab, then the server's
// writes before any byte of the client (openSide).
func openServerFirst(tab *Table, server ...string) uint32 { return openSide(tab, false, server...) }

// TestServerFirstOnTLSPortDecided: a server on 443 that sends a program
// before its client says anything (a stager's handler) is decided once the
// prefix is full, at the packet that filled it; one that greets and waits,
// after a second of silence.
func TestServerFirstOnTLSPortDecided(t *testing.T) {
	stage := "\x00\x10\x00\x00MZ" + string(bytes.Repeat([]byte{0x90}, 700))
	tab, out := earlyTable(t, Config{})
	openServerFirst(tab, stage, stage, stage)
	if len(*out) != 1 || (*out)[0].EndReason != EndDecided || len((*out)[0].Prefix) != PrefixSize || !(*out)[0].Decided.Equal(at(4).UTC()) {
		t.Fatalf("got %v, want one flow decided at the packet that filled the prefix", *out)
	}
	if r := (*out)[0].PrefixRuns; len(r) != 1 || r[0].FromClient {
		t.Errorf("runs %+v, want the server's alone", r)
	}

	tab, out = earlyTable(t, Config{})
	openServerFirst(tab, "220 mx.example.org ESMTP\r\n")
	tab.Advance(at(900))
	if len(*out) != 0 {
		t.Fatalf("handed out before the server's greeting had held still: %v", *out)
	}
	tab.Advance(at(2100))
	if len(*out) != 1 || (*out)[0].EndReason != EndDecided {
		t.Fatalf("got %v, want one flow decided by silence", *out)
	}
}

// TestServerFirstAfterLostHello: a server's greeting that acknowledges
// client bytes the capture lost, or that waits behind client bytes held
// after a hole, did not come first: nothing is decided by it.
func TestServerFirstAfterLostHello(t *testing.T) {
	const c, s = true, false
	for _, tc := range []struct {
		name    string
		ack     uint32
		pending bool
		decided bool
	}{
		{"the server acknowledges only the SYN", 1001, false, true},
		{"the server acknowledges 300 lost bytes", 1301, false, false},
		{"the client's later bytes wait behind a hole", 1001, true, false},
	} {
		tab, out := earlyTable(t, Config{})
		segs := []Segment{seg(c, 0, 1000, syn, ""), seg(s, 1, 5000, synack, ""), seg(c, 2, 1001, ack, "")}
		if tc.pending {
			segs = append(segs, seg(c, 3, 1301, ack, "more of the hello"))
		}
		greet := seg(s, 4, 5001, ack, "220 mx.example.org ESMTP\r\n")
		greet.Ack = tc.ack
		segs = append(segs, greet)
		for i := range segs {
			tab.Process(&segs[i])
		}
		tab.Advance(at(2100))
		if decided := len(*out) == 1 && (*out)[0].EndReason == EndDecided; decided != tc.decided {
			t.Errorf("%s: decided %v, want %v (%v)", tc.name, decided, tc.decided, *out)
		}
	}
}

// TestServerFirstThenClientIsJudgedByTheClient: when the client answers a
// server that spoke first, its own bytes decide, as when it speaks first:
// an SSH client is decided by its banner; a TLS client (a server that
// greets before TLS: STARTTLS-like) is not decided at all; and a server's
// TLS alert to a silent client decides nothing.
func TestServerFirstThenClientIsJudgedByTheClient(t *testing.T) {
	tab, out := earlyTable(t, Config{})
	next := openServerFirst(tab, "SSH-2.0-OpenSSH_9.6\r\n")
	cl := seg(true, 10, 1001, ack, sshBanner)
	tab.Process(&cl)
	more := seg(false, 11, next, ack, "kexinit")
	tab.Process(&more)
	if len(*out) != 1 || (*out)[0].EndReason != EndDecided || !(*out)[0].Decided.Equal(at(11).UTC()) {
		t.Fatalf("got %v, want one flow decided when the server answered the client's banner", *out)
	}

	tab, out = earlyTable(t, Config{})
	openServerFirst(tab, "220 ready\r\n")
	hello := seg(true, 10, 1001, ack, string(clientHelloRec))
	tab.Process(&hello)
	tab.Advance(at(3000))
	if len(*out) != 0 {
		t.Fatalf("a TLS client after a greeting was decided: %v", *out)
	}

	tab, out = earlyTable(t, Config{})
	openServerFirst(tab, "\x15\x00\x00\x00\x02\x01\x00")
	tab.Advance(at(3000))
	if len(*out) != 0 {
		t.Fatalf("a server's alert to a silent client was decided: %v", *out)
	}
}
