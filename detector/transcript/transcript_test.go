package transcript

import (
	"bytes"
	"context"
	"math/rand/v2"
	"testing"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// rec builds a TLS record.
func rec(typ byte, body ...byte) []byte {
	return append([]byte{typ, 3, 3, byte(len(body) >> 8), byte(len(body))}, body...)
}

// hsMsg builds a handshake message of n body bytes.
func hsMsg(typ byte, n int) []byte {
	return append([]byte{typ, byte(n >> 16), byte(n >> 8), byte(n)}, make([]byte, n)...)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// mkflow makes a flow whose client sent c then the server s.
func mkflow(c, s, chs, shs []byte) *flow.Flow {
	f := &flow.Flow{Prefix: append(append([]byte(nil), c...), s...), ClientHandshake: chs, ServerHandshake: shs}
	if len(c) > 0 {
		f.PrefixRuns = append(f.PrefixRuns, flow.PrefixRun{FromClient: true, Len: len(c)})
	}
	if len(s) > 0 {
		f.PrefixRuns = append(f.PrefixRuns, flow.PrefixRun{Len: len(s)})
	}
	return f
}

// ovpnReset is an OpenVPN client's hard reset in TCP framing.
var ovpnReset = cat([]byte{0, 14, 7 << 3}, make([]byte, 13))

// openVPN marks f's handshake as read out of OpenVPN's framing, as the
// flow layer does.
func openVPN(f *flow.Flow) *flow.Flow {
	f.OpenVPN = true
	return f
}

func TestSides(t *testing.T) {
	hello := rec(22, hsMsg(1, 40)...)
	sflight := rec(22, cat(hsMsg(2, 30), hsMsg(11, 20), hsMsg(13, 4), hsMsg(14, 0))...)
	connect := []byte("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
	cases := []struct {
		name         string
		f            *flow.Flow
		pre          string
		preLen, nrec int
		check        func(c, s *Side) bool
	}{
		{"plain", mkflow(hello, sflight, hello, sflight), PreambleNone, 0, 1, func(c, s *Side) bool {
			return c.Sent(MsgClientHello) && s.Sent(MsgCertificateRequest) && !c.Sent(MsgCertificate)
		}},
		{"connect", mkflow(cat(connect, hello), sflight, hello, sflight), PreambleConnect, len(connect), 1, nil},
		{"http", mkflow(cat([]byte("GET / HTTP/1.1\r\n\r\n"), hello), nil, hello, nil), "http", 18, 1, nil},
		{"starttls", mkflow(cat([]byte("EHLO x\r\nSTARTTLS\r\n"), hello), nil, hello, nil), PreambleSTARTTLS, 18, 1, nil},
		{"banner", mkflow(cat([]byte("\x00\x01hello-c2\xff"), hello), nil, hello, nil), "binary", 11, 1, nil},
		{"client cert", mkflow(cat(hello, rec(22, cat(hsMsg(11, 100), hsMsg(16, 66), hsMsg(15, 70))...), rec(20, 1), rec(22, make([]byte, 40)...)), sflight, hello, sflight),
			PreambleNone, 0, 4, func(c, s *Side) bool { return c.Sent(MsgCertificate) && c.Sent(16) && !c.Sent(20) }},
		{"fake tls", mkflow(cat(rec(23, make([]byte, 50)...), rec(23, make([]byte, 9)...)), rec(23, 1, 2), nil, nil), PreambleNoTLS, 0, 2,
			func(c, s *Side) bool { return c.NoHandshake() && s.NoHandshake() }},
		{"data early", mkflow(cat(hello, rec(23, 1, 2, 3), rec(24, 1)), nil, hello, nil), PreambleNone, 0, 3, func(c, s *Side) bool {
			typ, ok := c.DataBeforeHandshake(false)
			_, ok13 := c.DataBeforeHandshake(true)
			return ok && typ == 23 && ok13 // the heartbeat still counts in TLS 1.3
		}},
		{"unknown type", mkflow(cat(hello, rec(27, 1)), nil, hello, nil), PreambleNone, 0, 2, func(c, s *Side) bool {
			typ, ok := c.UnknownType()
			return ok && typ == 27
		}},
		{"broken framing", mkflow(cat(hello, []byte("garbage after")), nil, hello, nil), PreambleNone, 0, 1, func(c, s *Side) bool {
			return c.FramingBroke && string(c.BrokeHead) == "garbage after"
		}},
		// OpenVPN's TCP framing: a hard reset (length, opcode 7, session
		// id, ack count, packet id), then a control packet carrying the hello.
		{"openvpn", openVPN(mkflow(cat(ovpnReset, []byte{0, byte(len(hello) + 14), 4 << 3}, make([]byte, 13), hello, ovpnReset), sflight, hello, sflight)),
			PreambleOpenVPN, len(ovpnReset) + 16, 1, func(c, s *Side) bool {
				return !c.FramingBroke && c.Sent(MsgClientHello) && s.Sent(MsgCertificateRequest)
			}},
		{"ssh", mkflow([]byte("SSH-2.0-OpenSSH_9.6\r\n"), nil, nil, nil), PreambleNoTLS, 0, 0, func(c, s *Side) bool {
			return string(c.Head) == "SSH-2.0-OpenSSH_9.6\r\n"
		}},
	}
	var tr Transcript
	for _, c := range cases {
		Of(c.f, &tr)
		if tr.Client.Preamble != c.pre || tr.Client.PreambleLen != c.preLen || len(tr.Client.Records) != c.nrec {
			t.Errorf("%s: preamble %q (%d bytes), %d records %+v; want %q, %d, %d", c.name, tr.Client.Preamble, tr.Client.PreambleLen,
				len(tr.Client.Records), tr.Client.Records, c.pre, c.preLen, c.nrec)
			continue
		}
		if c.check != nil && !c.check(&tr.Client, &tr.Server) {
			t.Errorf("%s: client %+v server %+v", c.name, tr.Client.Records, tr.Server.Records)
		}
	}
}

// TestRealHandshakes: real crypto/tls flows open with their hello at
// byte 0 and show the usual messages.
func TestRealHandshakes(t *testing.T) {
	flows, err := labset.Flows(context.Background(), labset.Benign, 8, 2)
	if err != nil {
		t.Fatal(err)
	}
	var tr Transcript
	for _, f := range flows {
		Of(f, &tr)
		serverOK := tr.Server.Sent(MsgServerHello) || tr.ServerBytes == 0 && tr.Server.Preamble == PreambleUnseen
		if tr.Client.Preamble != PreambleNone || !tr.Client.Sent(MsgClientHello) || !serverOK {
			t.Errorf("flow %d: client %+v server %+v", f.ID, tr.Client, tr.Server)
		}
		if tr.Client.Sent(MsgCertificate) || tr.Client.FramingBroke || tr.Server.FramingBroke {
			t.Errorf("flow %d: client cert %v, framing broke %v %v", f.ID, tr.Client.Sent(MsgCertificate), tr.Client.FramingBroke, tr.Server.FramingBroke)
		}
		if _, ok := tr.Client.DataBeforeHandshake(true); ok {
			t.Errorf("flow %d: data before handshake %+v", f.ID, tr.Client.Records)
		}
	}
}

func TestPrintable(t *testing.T) {
	if got := Printable([]byte("SSH-2.0-x\r\n")); got != `SSH-2.0-x\r\n` {
		t.Errorf("%q", got)
	}
	if got := Printable([]byte{0x53, 0x00, 0xff}); got != "53 00 ff" {
		t.Errorf("%q", got)
	}
}

// FuzzOf: any bytes on either side, never a panic, bounded records.
func FuzzOf(f *testing.F) {
	f.Add(rec(22, hsMsg(1, 3)...), rec(22, hsMsg(2, 3)...), []byte("x"))
	f.Add([]byte("CONNECT a:443 HTTP/1.1\r\n\r\n\x16\x03\x01\x00\x04\x01\x00\x00\x00"), []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, c, s, junk []byte) {
		c = c[:min(len(c), 1024)]
		s = s[:min(len(s), 1024-len(c))]
		fl := mkflow(c, s, c[min(len(c), len(junk)):], s)
		fl.OpenVPN = len(junk)%2 == 1
		if len(junk) > 0 { // a hole anywhere, even where no flow puts one
			fl.ClientHoled, fl.ClientIntact = junk[0]&1 == 1, int(int8(junk[0]))*8
			fl.ServerHoled, fl.ServerIntact = junk[0]&2 == 2, int(junk[0])*4
		}
		for b := junk; len(b) >= 6 && len(fl.ClientRecords) < flow.MaxRecordLog; b = b[6:] {
			fl.ClientRecords = append(fl.ClientRecords, flow.RecordHeader{Type: b[0], Clear: b[1]&1 == 1, HeadLen: b[1] >> 6,
				Head: [3]byte{b[2], b[3], b[4]}, Len: uint16(b[5])})
		}
		var tr Transcript
		Of(fl, &tr)
		for _, sd := range []*Side{&tr.Client, &tr.Server} {
			if len(sd.Records) > MaxRecords || len(sd.Later) > flow.MaxRecordLog || len(sd.Head) > HeadLen || sd.PreambleLen < 0 {
				t.Fatalf("%+v", sd)
			}
			sd.DataBeforeHandshake(false)
			sd.UnknownType()
			sd.Sent(MsgCertificate)
		}
		for _, fl := range []Flight{ServerFlight(fl), KeptFlight(fl)} {
			if fl.Records > MaxFlightRecords || fl.Largest > fl.Total || fl.Total > fl.Records*0xffff {
				t.Fatalf("%+v", fl)
			}
		}
	})
}

func TestLooksRandom(t *testing.T) {
	b := make([]byte, 200)
	x := uint32(12345)
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = byte(x >> 24)
	}
	if !looksRandom(b) {
		t.Error("random bytes not random")
	}
	structured := make([]byte, 200)
	for i := range structured {
		structured[i] = byte(i % 40)
	}
	if looksRandom(structured) || looksRandom(b[:20]) || looksRandom(bytes.Repeat([]byte("GET / HTTP/1.1\r\n"), 10)) {
		t.Error("structured bytes look random")
	}
	// A header before ciphertext (Meta's edge prefix: magic, version,
	// a 3-byte length; three zeros in two runs, within what 256 random
	// bytes may hold) is framing; the same ciphertext alone is not.
	cipher := make([]byte, randomBytes-headerBytes)
	for i := range cipher {
		x = x*1664525 + 1013904223
		cipher[i] = max(byte(x>>24), 1)
	}
	edge := append([]byte{'E', 'D', 0, 1, 0, 0, 4, 8}, cipher...)
	if looksRandom(edge) {
		t.Error("ciphertext after a header looks random")
	}
	if !looksRandom(append(cipher[:headerBytes:headerBytes], cipher...)) {
		t.Error("the ciphertext alone does not look random")
	}
	// A lone length before the same ciphertext (big- or little-endian)
	// is not a header.
	for _, length := range [][]byte{{0, 0, 0, 0x2c}, {0x2c, 0, 0, 0}} {
		if !looksRandom(append(length, cipher[:randomBytes-headerBytes]...)) {
			t.Errorf("ciphertext after the length %x does not look random", length)
		}
	}
	// Nor when the message is short: 71 bytes after their length hold
	// more zeros with it than 75 random bytes may.
	for _, length := range [][]byte{{0, 0, 0, 71}, {71, 0, 0, 0}} {
		if !looksRandom(append(length, cipher[:71]...)) {
			t.Errorf("71 bytes of ciphertext after the length %x do not look random", length)
		}
	}
	// Random heads rarely look like a header: under 5 in a million
	// (C(8,3)/256^3); more than 20 of a million draws would be a test
	// that mistakes random bytes for framing.
	r := rand.New(rand.NewPCG(1, 2))
	head, hits := make([]byte, headerBytes), 0
	for range 1_000_000 {
		for j := range head {
			head[j] = byte(r.Uint32())
		}
		if header(head) {
			hits++
		}
	}
	if hits > 20 {
		t.Errorf("%d of a million random heads look like a header", hits)
	}
}

// TestLater: records past the prefix come from the flow's record headers
// when the prefix's records are where they begin; the facts read them
// (a client certificate, application data before the client's
// change_cipher_spec), a message's continuation is not taken for a
// message, and headers that do not match the prefix are left alone.
func TestLater(t *testing.T) {
	hello := rec(22, hsMsg(1, 60)...)
	f := mkflow(hello, nil, hello, nil)
	helloHdr := flow.RecordHeader{Type: 22, Clear: true, HeadLen: 3, Head: [3]byte{1, 0, 0}, Len: uint16(len(hello) - 5)}
	f.ClientRecords = []flow.RecordHeader{helloHdr,
		{Type: 22, Clear: true, HeadLen: 3, Head: [3]byte{11, 0, 3}, Len: 800},  // Certificate
		{Type: 22, Clear: true, HeadLen: 3, Head: [3]byte{2, 77, 9}, Len: 1000}, // its continuation, not a ServerHello
		{Type: 23, Len: 40}} // application data before change_cipher_spec
	var tr Transcript
	Of(f, &tr)
	c := &tr.Client
	if len(c.Records) != 1 || len(c.Later) != 3 {
		t.Fatalf("%d records, %d later: want 1 and 3", len(c.Records), len(c.Later))
	}
	if !c.Sent(MsgCertificate) || c.Sent(MsgServerHello) {
		t.Errorf("certificate sent %v (want true), server hello sent %v (want false)", c.Sent(MsgCertificate), c.Sent(MsgServerHello))
	}
	if typ, ok := c.DataBeforeHandshake(false); !ok || typ != TypeAppData {
		t.Errorf("data before the handshake: %d %v, want application data", typ, ok)
	}
	f.ClientRecords[0].Len++ // not the record the prefix holds
	Of(f, &tr)
	if len(tr.Client.Later) != 0 || tr.Client.Sent(MsgCertificate) {
		t.Errorf("later records %+v taken from headers that do not match the prefix", tr.Client.Later)
	}
}

// TestHoled: the records a side's prefix holds after bytes the capture
// missed are not read: application data after a lost change_cipher_spec
// and Finished is no data before the handshake. What came before the
// handshake is read across a hole.
func TestHoled(t *testing.T) {
	hello := rec(22, hsMsg(1, 60)...)
	app := rec(23, make([]byte, 40)...)
	f := mkflow(cat(hello, app), nil, hello, nil)
	var tr Transcript
	Of(f, &tr)
	if _, ok := tr.Client.DataBeforeHandshake(false); !ok {
		t.Fatal("no hole: the application data should come before the handshake's end")
	}
	f.ClientHoled, f.ClientIntact = true, len(hello)
	Of(f, &tr)
	if len(tr.Client.Records) != 1 || tr.Client.Has(TypeAppData) {
		t.Errorf("records %+v read past the hole", tr.Client.Records)
	}
	if _, ok := tr.Client.DataBeforeHandshake(false); ok {
		t.Error("application data after a hole taken for data before the handshake")
	}
	f.ClientHoled, f.ClientIntact, f.ServerHoled = false, 0, true // the other side's hole
	Of(f, &tr)
	if len(tr.Client.Records) != 2 {
		t.Errorf("a server's hole cut the client's records: %+v", tr.Client.Records)
	}
	// Records with no hello, after a hole at the stream's start: the hello
	// is what the capture lost, not what the client left out.
	f = mkflow(cat(rec(20, 1), app), nil, nil, nil)
	Of(f, &tr)
	if !tr.Client.NoHandshake() {
		t.Fatal("records without a handshake, no hole: not seen")
	}
	f.ClientHoled, f.ClientIntact = true, 0
	Of(f, &tr)
	if tr.Client.NoHandshake() || len(tr.Client.Records) != 0 {
		t.Errorf("records after a hole at the start read as a client that never shook hands: %+v", tr.Client.Records)
	}
	// A hole in a STARTTLS exchange before the hello: the exchange is read
	// whole (what it asks for is text), the hello's records as they come.
	ehlo := []byte("EHLO mail.example\r\n")
	f = mkflow(cat(ehlo, []byte("STARTTLS\r\n"), hello), nil, hello, nil)
	f.ClientHoled, f.ClientIntact = true, len(ehlo)
	Of(f, &tr)
	if tr.Client.Preamble != PreambleSTARTTLS || len(tr.Client.Records) != 1 {
		t.Errorf("preamble %q, records %+v: want starttls and the hello", tr.Client.Preamble, tr.Client.Records)
	}
}

// TestEmptyCertificate: an empty Certificate message (a client asked for
// a certificate that has none) is no client authentication, whether the
// prefix holds it or only its record header does; a certificate with a
// body is, and one empty message does not hide a later full one.
func TestEmptyCertificate(t *testing.T) {
	hello := rec(22, hsMsg(1, 60)...)
	empty := rec(22, 11, 0, 0, 3, 0, 0, 0)
	full := rec(22, hsMsg(11, 400)...)
	for _, c := range []struct {
		name   string
		client []byte
		want   bool
	}{
		{"empty in the prefix", cat(hello, empty, rec(22, hsMsg(16, 66)...)), false},
		{"full in the prefix", cat(hello, full), true},
		{"empty then full", cat(hello, empty, full), true},
	} {
		var tr Transcript
		Of(mkflow(c.client, nil, hello, nil), &tr)
		if !tr.Client.Sent(MsgCertificate) || tr.Client.SentCertificate() != c.want {
			t.Errorf("%s: Certificate message sent %v, a certificate sent %v (want %v)", c.name, tr.Client.Sent(MsgCertificate), tr.Client.SentCertificate(), c.want)
		}
	}
	f := mkflow(hello, nil, hello, nil)
	helloHdr := flow.RecordHeader{Type: 22, Clear: true, HeadLen: 3, Head: [3]byte{1, 0, 0}, Len: uint16(len(hello) - 5)}
	for _, c := range []struct {
		name string
		hdr  flow.RecordHeader
		want bool
	}{
		{"empty, later", flow.RecordHeader{Type: 22, Clear: true, HeadLen: 3, Head: [3]byte{11, 0, 0}, Len: 7}, false},
		{"small certificate, later", flow.RecordHeader{Type: 22, Clear: true, HeadLen: 3, Head: [3]byte{11, 0, 0}, Len: 200}, true},
		{"full, later", flow.RecordHeader{Type: 22, Clear: true, HeadLen: 3, Head: [3]byte{11, 0, 3}, Len: 800}, true},
	} {
		f.ClientRecords = []flow.RecordHeader{helloHdr, c.hdr, {Type: 20, Len: 1}}
		var tr Transcript
		Of(f, &tr)
		if tr.Client.SentCertificate() != c.want {
			t.Errorf("%s: a certificate sent %v, want %v", c.name, tr.Client.SentCertificate(), c.want)
		}
	}
}

// TestQUICCrypto: a QUIC side's CRYPTO stream of TLS messages reads as
// one handshake record carrying them; Google QUIC Crypto's tag-value
// messages (a CHLO, a REJ) as bytes with no handshake, as another
// protocol's over TCP.
func TestQUICCrypto(t *testing.T) {
	hello := []byte{1, 0, 0, 2, 3, 3}
	chlo := []byte("CHLO\x01\x00\x00\x00PAD\x00\x04\x00\x00\x00\x00\x00\x00\x00")
	rej := []byte("REJ\x00\x00\x00\x00\x00")
	var tr Transcript
	f := mkflow(hello, nil, nil, nil)
	f.Transport = flow.TransportUDP
	Of(f, &tr)
	if len(tr.Client.Records) != 1 || !tr.Client.Has(TypeHandshake) || !tr.Client.Sent(MsgClientHello) {
		t.Errorf("TLS in CRYPTO frames: %+v", tr.Client)
	}
	f = mkflow(chlo, rej, nil, nil)
	f.Transport = flow.TransportUDP
	Of(f, &tr)
	for _, sd := range []*Side{&tr.Client, &tr.Server} {
		if sd.Preamble != PreambleNoTLS || len(sd.Records) != 0 || sd.Has(TypeHandshake) || sd.NoHandshake() {
			t.Errorf("Google QUIC: %+v", sd)
		}
	}
	if string(tr.Client.Head[:4]) != "CHLO" {
		t.Errorf("client head %q", tr.Client.Head)
	}
}

// TestHandshakesAfterCCS counts the handshake records a side sent after
// its change_cipher_spec, the records the prefix described and the later
// ones of the record log alike.
func TestHandshakesAfterCCS(t *testing.T) {
	recs := func(types ...uint8) []Record {
		var out []Record
		for _, ty := range types {
			out = append(out, Record{Type: ty})
		}
		return out
	}
	cases := []struct {
		name      string
		sd        Side
		n         int
		ccs       bool
		rendering string
	}{
		{"no change_cipher_spec yet", Side{Records: recs(22, 22)}, 0, false, ""},
		{"a TLS 1.2 client's flights", Side{Records: recs(22), Later: recs(22, 20, 22, 23, 23)}, 1, true,
			"change_cipher_spec, handshake, application_data x2"},
		{"a renegotiation refused", Side{Records: recs(22), Later: recs(22, 20, 22, 22, 21)}, 2, true,
			"change_cipher_spec, handshake x2, alert"},
		{"TLS 1.3 after a HelloRetryRequest", Side{Records: recs(22, 20, 22, 23)}, 1, true,
			"change_cipher_spec, handshake, application_data"},
		{"TLS 1.3", Side{Records: recs(22, 20, 23, 23)}, 0, true, "change_cipher_spec, application_data x2"},
	}
	for _, c := range cases {
		n, ccs := c.sd.HandshakesAfterCCS()
		if n != c.n || ccs != c.ccs {
			t.Errorf("%s: %d, %v; want %d, %v", c.name, n, ccs, c.n, c.ccs)
		}
		if got := c.sd.AfterCCS(); got != c.rendering {
			t.Errorf("%s: rendered %q, want %q", c.name, got, c.rendering)
		}
	}
}

// TestHelloCut: a ClientHello that declares more bytes than its first
// record is cut over records; a whole hello followed by a record the
// prefix ends inside (its message header unread) is not.
func TestHelloCut(t *testing.T) {
	hello := hsMsg(1, 180)
	cut := cat(rec(22, hello[:100]...), rec(22, hello[100:]...))
	whole := rec(22, hello...)
	next := rec(22, hsMsg(16, 258)...)
	cases := []struct {
		name   string
		client []byte
		want   bool
	}{
		{"cut over two records", cut, true},
		{"whole, the next record's header and 2 bytes at the prefix's end", cat(whole, next[:7]), false},
		{"whole, the next record whole", cat(whole, next), false},
	}
	for _, tc := range cases {
		var tr Transcript
		Of(mkflow(tc.client, nil, tc.client, nil), &tr)
		if got := tr.Client.HelloCut(len(hello)); got != tc.want {
			t.Errorf("%s: HelloCut %v, want %v (records %+v)", tc.name, got, tc.want, tr.Client.Records)
		}
	}
}
