package flow

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/flow/quic"
)

// rfcPackets reads the sample Initial packets of RFC 9001 Appendix A
// (file "rfc9001") or RFC 9369 Appendix A ("rfc9369"), which package quic
// keeps as test data: a client Initial carrying a whole ClientHello and
// the server Initial carrying its ServerHello, as a real QUIC stack sends
// them.
func rfcPackets(tb testing.TB, file string) (vec map[string][]byte) {
	tb.Helper()
	f, err := os.Open("quic/testdata/" + file + "-appendix-a.txt")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	vec = map[string][]byte{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(k, "#") {
			continue
		}
		b, err := hex.DecodeString(v)
		if err != nil {
			tb.Fatalf("%s %s: %v", file, k, err)
		}
		vec[k] = b
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return vec
}

// udp is a datagram between the test endpoints.
func udp(fromClient bool, ms int, payload []byte) Segment {
	s := seg(fromClient, ms, 0, 0, "")
	s.Transport = TransportUDP
	s.Payload, s.PayloadLen, s.WireLen = payload, len(payload), 42+len(payload)
	return s
}

// TestQUICFlow: the RFC's client and server Initials make one complete
// UDP flow whose handshake bytes are the CRYPTO streams (a ClientHello and
// a ServerHello without record headers) and whose prefix is the two
// streams, client first; later datagrams are only counted.
func TestQUICFlow(t *testing.T) {
	for _, file := range []string{"rfc9001", "rfc9369"} {
		t.Run(file, func(t *testing.T) {
			vec := rfcPackets(t, file)
			var out []*Flow
			tab, err := NewTable(Config{}, func(f *Flow) { out = append(out, f) })
			if err != nil {
				t.Fatal(err)
			}
			c, s := udp(true, 0, vec["client_packet"]), udp(false, 20, vec["server_packet"])
			tab.Process(&c)
			if len(out) != 0 {
				t.Fatal("handed out before the server answered")
			}
			tab.Process(&s)
			if len(out) != 1 {
				t.Fatalf("%d flows after both hellos, want 1", len(out))
			}
			short := udp(true, 40, []byte{0x40, 1, 2, 3, 4, 5, 6, 7, 8, 9})
			tab.Process(&short)
			tab.Flush()
			if len(out) != 1 {
				t.Fatalf("%d flows, want 1", len(out))
			}
			f := out[0]
			ch := vec["client_crypto_frame"][4:] // the frame's type, offset and length come first
			sh := vec["server_payload"][bytes.IndexByte(vec["server_payload"], 0x06)+4:]
			if f.Transport != TransportUDP || f.EndReason != EndComplete || f.Client != cliEP || f.Server != srvEP || f.ClientByPort || f.Midstream {
				t.Errorf("flow %+v", f)
			}
			if !bytes.Equal(f.ClientHandshake, ch) || !bytes.Equal(f.ServerHandshake, sh) {
				t.Errorf("handshakes %x / %x\nwant %x / %x", f.ClientHandshake, f.ServerHandshake, ch, sh)
			}
			if !bytes.Equal(f.Prefix, append(append([]byte(nil), ch...), sh...)) {
				t.Errorf("prefix %x", f.Prefix)
			}
			wantRuns := []PrefixRun{{FromClient: true, Len: len(ch)}, {FromClient: false, Len: len(sh)}}
			if len(f.PrefixRuns) != 2 || f.PrefixRuns[0] != wantRuns[0] || f.PrefixRuns[1] != wantRuns[1] {
				t.Errorf("runs %+v, want %+v", f.PrefixRuns, wantRuns)
			}
			// Counted up to the hand-out, as for TCP.
			if f.PktsToServer != 1 || f.PktsToClient != 1 || f.BytesToServer != uint64(c.WireLen) {
				t.Errorf("counters %d/%d packets, %d bytes to server", f.PktsToServer, f.PktsToClient, f.BytesToServer)
			}
			q := f.QUIC
			wantV := quic.Version1
			if file == "rfc9369" {
				wantV = quic.Version2
			}
			if q == nil || q.Version != wantV || q.DCIDLen != 8 || q.Client.Decrypted != 1 || q.Server.Decrypted != 1 || q.Undecrypted {
				t.Errorf("quic %+v", q)
			}
			if st := tab.Stats(); st.Datagrams != 3 || st.LateSegments != 1 || st.Emitted[EndComplete] != 1 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestUDPNotQUIC: UDP that does not start like QUIC opens no flow, and is
// counted.
func TestUDPNotQUIC(t *testing.T) {
	vnLike := []byte{0x8b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x0a, 0x1a, 0x2a, 0x3a}
	if !quic.LooksLikeQUIC(vnLike) {
		t.Fatal("the Version Negotiation case does not look like QUIC")
	}
	var out []*Flow
	tab, _ := NewTable(Config{}, func(f *Flow) { out = append(out, f) })
	for i, p := range [][]byte{
		[]byte("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01"), // DNS
		{0x40, 1, 2, 3, 4, 5, 6, 7, 8},             // a short-header packet: a connection picked up midway
		{0xc0, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0}, // long header of an unknown version
		vnLike, // a Version Negotiation packet, or an LLMNR query with its bits (ndpi/1kxun.pcap)
		nil,
	} {
		d := udp(i%2 == 0, i, p)
		tab.Process(&d)
	}
	tab.Flush()
	if st := tab.Stats(); len(out) != 0 || st.NotQUIC != 5 || st.Datagrams != 5 || st.FlowsOpened != 0 {
		t.Errorf("%d flows, stats %+v", len(out), st)
	}
}

// TestQUICUndecrypted: a flow that looks like QUIC but whose Initials do
// not open says so, and ends when it idles out after the UDP timeout,
// sooner than a TCP flow would.
func TestQUICUndecrypted(t *testing.T) {
	vec := rfcPackets(t, "rfc9001")
	bad := append([]byte(nil), vec["client_packet"]...)
	bad[100] ^= 1 // inside the ciphertext: the AEAD tag fails
	var out []*Flow
	tab, _ := NewTable(Config{UDPIdleTimeout: 10 * time.Second}, func(f *Flow) { out = append(out, f) })
	c := udp(true, 0, bad)
	tab.Process(&c)
	tab.Advance(time.Unix(0, int64(5*time.Second)))
	if len(out) != 0 {
		t.Fatal("ended before its idle timeout")
	}
	tab.Advance(time.Unix(0, int64(11*time.Second)))
	if len(out) != 1 {
		t.Fatalf("%d flows after the UDP idle timeout, want 1", len(out))
	}
	f := out[0]
	if f.EndReason != EndIdle || f.QUIC == nil || !f.QUIC.Undecrypted || f.QUIC.Client.DecryptFailures != 1 || len(f.Prefix) != 0 || f.ClientHandshake != nil {
		t.Errorf("flow %+v quic %+v", f, f.QUIC)
	}
}

// TestQUICClientDirection: a Retry comes from the server, so its receiver
// is the client; a Handshake packet first leaves the ports to decide.
func TestQUICClientDirection(t *testing.T) {
	vec := rfcPackets(t, "rfc9001")
	hs := vec["server_packet"]
	hs = append([]byte{hs[0]&^0x30 | 0x20}, hs[1:]...) // the type bits of a Handshake packet
	for _, tc := range []struct {
		name    string
		p       []byte
		client  Endpoint
		guessed bool
	}{{"retry", vec["retry_packet"], cliEP, false}, {"handshake", hs, cliEP, true}} {
		var out []*Flow
		tab, _ := NewTable(Config{}, func(f *Flow) { out = append(out, f) })
		d := udp(false, 0, tc.p) // sent by the server
		tab.Process(&d)
		tab.Flush()
		if len(out) != 1 || out[0].Client != tc.client || out[0].ClientByPort != tc.guessed {
			t.Errorf("%s: %d flows, %+v", tc.name, len(out), out)
		}
	}
}

// TestTCPAndUDPApart: a TCP connection and a UDP flow between the same
// endpoints are two flows with ids of their own, and the TCP one keeps
// the id it had before UDP flows existed.
func TestTCPAndUDPApart(t *testing.T) {
	vec := rfcPackets(t, "rfc9001")
	var out []*Flow
	tab, _ := NewTable(Config{}, func(f *Flow) { out = append(out, f) })
	a := seg(true, 0, 1000, syn, "")
	u := udp(true, 0, vec["client_packet"])
	tab.Process(&a)
	tab.Process(&u)
	tab.Flush()
	if len(out) != 2 || out[0].ID == out[1].ID || out[0].Transport == out[1].Transport {
		t.Fatalf("flows %+v", out)
	}
	k, _ := KeyOf(a.Src, a.Dst)
	if k.Hash() != (Key{Lo: k.Lo, Hi: k.Hi}).Hash() || k.Hash() == (Key{Lo: k.Lo, Hi: k.Hi, Transport: TransportUDP}).Hash() {
		t.Error("TCP keys must hash as before, UDP keys otherwise")
	}
}

// TestUDPEviction: a full table makes room among UDP and TCP flows alike,
// the least recently seen first.
func TestUDPEviction(t *testing.T) {
	vec := rfcPackets(t, "rfc9001")
	var out []*Flow
	tab, _ := NewTable(Config{MaxFlows: 2}, func(f *Flow) { out = append(out, f) })
	u := udp(true, 0, vec["client_packet"])
	tab.Process(&u)
	a := seg(true, 1, 1000, syn, "")
	tab.Process(&a)
	b := seg(true, 2, 1000, syn, "")
	b.Src.Port++
	tab.Process(&b)
	if len(out) != 1 || out[0].Transport != TransportUDP || out[0].EndReason != EndEvicted {
		t.Fatalf("flows out %+v, want the UDP flow evicted", out)
	}
	if tab.Len() != 2 {
		t.Errorf("table holds %d", tab.Len())
	}
}

// TestServerHelloDone: a HelloRetryRequest alone does not complete a
// QUIC flow's server side; the ServerHello after it does.
func TestServerHelloDone(t *testing.T) {
	msg := func(random byte) []byte {
		body := append([]byte{3, 3}, bytes.Repeat([]byte{random}, 32)...)
		body = append(body, 0, 0x13, 0x01, 0)
		return append([]byte{hsServerHello, 0, 0, byte(len(body))}, body...)
	}
	hrr := msg(0)
	copy(hrr[6:38], helloRetryRandom())
	sh := msg(7)
	for _, tc := range []struct {
		b    []byte
		want bool
	}{
		{sh, true}, {sh[:len(sh)-1], false}, {hrr, false}, {append(append([]byte(nil), hrr...), sh[:10]...), false},
		{append(append([]byte(nil), hrr...), sh...), true}, {nil, false}, {[]byte{1, 0, 0, 0}, false},
	} {
		if got := serverHelloDone(tc.b); got != tc.want {
			t.Errorf("%x: %v, want %v", tc.b, got, tc.want)
		}
	}
}

// BenchmarkTableQUICFlow is one QUIC flow through a table: the RFC 9001
// client Initial opens it (key setup, decryption, the ClientHello's CRYPTO
// frame), the server Initial completes it, and it is handed out.
func BenchmarkTableQUICFlow(b *testing.B) {
	vec := rfcPackets(b, "rfc9001")
	tab, err := NewTable(Config{}, func(*Flow) {})
	if err != nil {
		b.Fatal(err)
	}
	c, s := udp(true, 0, vec["client_packet"]), udp(false, 1, vec["server_packet"])
	b.ReportAllocs()
	for i := range b.N {
		// A new client port each time: a new flow.
		c.Src.Port, s.Dst.Port = uint16(1024+i%60000), uint16(1024+i%60000)
		c.Time, s.Time = int64(i)*1000, int64(i)*1000+1
		tab.Process(&c)
		tab.Process(&s)
	}
}

// BenchmarkTableNotQUIC is a datagram of no tracked flow that does not
// look like QUIC (DNS, say): what most UDP costs the table.
func BenchmarkTableNotQUIC(b *testing.B) {
	tab, err := NewTable(Config{}, func(*Flow) {})
	if err != nil {
		b.Fatal(err)
	}
	d := udp(true, 0, []byte("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x03com\x00\x00\x01\x00\x01"))
	b.ReportAllocs()
	for i := range b.N {
		d.Src.Port = uint16(1024 + i%60000)
		tab.Process(&d)
	}
}

// TestGoogleQUICFlow: a flow of Google QUIC before Q050 (Suricata's
// quic-alerts capture, Q046) opens on the client's first packet in clear,
// its handshake bytes are the hellos both sides sent in clear (the
// client's CHLOs and the server's REJ), and it is complete with the
// client's full CHLO, its fifth packet: the rest is encrypted.
func TestGoogleQUICFlow(t *testing.T) {
	raw, err := os.ReadFile("quic/testdata/gquic-q046-suricata-quic-alerts.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out []*Flow
	tab, err := NewTable(Config{}, func(f *Flow) { out = append(out, f) })
	if err != nil {
		t.Fatal(err)
	}
	ms := 0
	for line := range strings.Lines(string(raw)) {
		dir, h, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok || dir == "#" {
			continue
		}
		b, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		s := udp(dir == "c", ms, b)
		tab.Process(&s)
		ms += 10
	}
	tab.Flush()
	if len(out) != 1 {
		t.Fatalf("%d flows, want 1", len(out))
	}
	f := out[0]
	if f.Transport != TransportUDP || f.Client != cliEP || f.ClientByPort || f.Midstream || f.QUIC == nil || f.QUIC.Version != quic.VersionQ046 {
		t.Fatalf("flow %+v", f)
	}
	if f.EndReason != EndComplete || f.PktsToServer != 3 || f.PktsToClient != 2 {
		t.Errorf("ended %s after %d/%d packets, want complete after 3/2", f.EndReason, f.PktsToServer, f.PktsToClient)
	}
	if !bytes.HasPrefix(f.ClientHandshake, []byte("CHLO")) || !bytes.HasPrefix(f.ServerHandshake, []byte("REJ\x00")) || len(f.ClientHandshake) != 2048 {
		t.Errorf("handshakes %q... (%d bytes) / %q...", f.ClientHandshake[:min(4, len(f.ClientHandshake))], len(f.ClientHandshake), f.ServerHandshake[:min(4, len(f.ServerHandshake))])
	}
	if !bytes.HasPrefix(f.Prefix, []byte("CHLO")) || len(f.Prefix) != PrefixSize {
		t.Errorf("prefix of %d bytes", len(f.Prefix))
	}
}

// TestQUICServerInitialFirst: a capture that merged the two directions
// out of order shows the server's Initial before its client's. The
// server's does not open with keys of its own connection IDs; the
// client's, when it comes, does, and turns the roles: one complete flow
// with the right client and both hellos, as in order. The copy kept
// meanwhile is charged to the memory budget and given back.
func TestQUICServerInitialFirst(t *testing.T) {
	for _, file := range []string{"rfc9001", "rfc9369"} {
		t.Run(file, func(t *testing.T) {
			vec := rfcPackets(t, file)
			if quic.OpensAsClientInitial(vec["server_packet"]) || !quic.OpensAsClientInitial(vec["client_packet"]) {
				t.Fatal("OpensAsClientInitial: the server's Initial opened, or the client's did not")
			}
			var out []*Flow
			tab, err := NewTable(Config{}, func(f *Flow) { out = append(out, f) })
			if err != nil {
				t.Fatal(err)
			}
			s, c := udp(false, 0, vec["server_packet"]), udp(true, 3, vec["client_packet"])
			tab.Process(&s)
			if u := tab.budget.Used(); u < int64(len(vec["server_packet"])) {
				t.Errorf("budget charged %d bytes for the kept server Initial of %d", u, len(vec["server_packet"]))
			}
			tab.Process(&c)
			if len(out) != 1 {
				t.Fatalf("%d flows after both hellos, want 1", len(out))
			}
			f := out[0]
			if f.EndReason != EndComplete || f.Client != cliEP || f.Server != srvEP || f.ClientByPort || f.Midstream {
				t.Errorf("flow %+v", f)
			}
			ch := vec["client_crypto_frame"][4:]
			sh := vec["server_payload"][bytes.IndexByte(vec["server_payload"], 0x06)+4:]
			if !bytes.Equal(f.ClientHandshake, ch) || !bytes.Equal(f.ServerHandshake, sh) {
				t.Errorf("handshakes %x / %x\nwant %x / %x", f.ClientHandshake, f.ServerHandshake, ch, sh)
			}
			if q := f.QUIC; q == nil || q.Client.Decrypted != 1 || q.Server.Decrypted != 1 || q.Server.DecryptFailures != 0 || q.Err != nil {
				t.Errorf("quic %+v", q)
			}
			if f.PktsToServer != 1 || f.PktsToClient != 1 {
				t.Errorf("counters %d/%d packets", f.PktsToServer, f.PktsToClient)
			}
			if u := tab.budget.Used(); u != 0 {
				t.Errorf("%d bytes still charged after the hand-out", u)
			}
		})
	}
}

// TestQUICRetryAndServerInitialFirst: the server's Retry and Initial both
// before the client's Initial. The Retry names the client rightly, but
// the server's Initial has no keys yet; it is read again once the
// client's Initial gave them, and the Retry's tag is checked then.
func TestQUICRetryAndServerInitialFirst(t *testing.T) {
	vec := rfcPackets(t, "rfc9001")
	var out []*Flow
	tab, _ := NewTable(Config{}, func(f *Flow) { out = append(out, f) })
	for _, d := range []Segment{udp(false, 0, vec["retry_packet"]), udp(false, 1, vec["server_packet"]), udp(true, 3, vec["client_packet"])} {
		tab.Process(&d)
	}
	if len(out) != 1 {
		t.Fatalf("%d flows after both hellos, want 1", len(out))
	}
	f := out[0]
	if f.EndReason != EndComplete || f.Client != cliEP || f.ServerHandshake == nil {
		t.Errorf("flow %+v", f)
	}
	if q := f.QUIC; q == nil || q.Retry != 1 || q.RetryTagInvalid != 0 || q.Client.Decrypted != 1 || q.Server.Decrypted != 1 || q.Server.DecryptFailures != 0 || q.Err != nil {
		t.Errorf("quic %+v", q)
	}
	if u := tab.budget.Used(); u != 0 {
		t.Errorf("%d bytes still charged after the hand-out", u)
	}
}

// TestQUICServerInitialAlone: a server's Initial whose client's never
// comes keeps the flow as before (its sender taken for the client, nothing
// opened), and another server Initial does not turn the roles.
func TestQUICServerInitialAlone(t *testing.T) {
	vec := rfcPackets(t, "rfc9001")
	var out []*Flow
	tab, _ := NewTable(Config{}, func(f *Flow) { out = append(out, f) })
	a, b := udp(false, 0, vec["server_packet"]), udp(true, 3, vec["server_packet"])
	tab.Process(&a)
	tab.Process(&b)
	tab.Flush()
	if len(out) != 1 || out[0].Client != srvEP || out[0].QUIC == nil || out[0].QUIC.Client.Decrypted+out[0].QUIC.Server.Decrypted != 0 {
		t.Fatalf("%d flows, %+v", len(out), out)
	}
	if u := tab.budget.Used(); u != 0 {
		t.Errorf("%d bytes still charged", u)
	}
}
