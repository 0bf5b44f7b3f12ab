package evidence

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// serverFirstFlow is a connection seen from the client's SYN in which the
// server sent its turn first and the client then sent its own.
func serverFirstFlow(port uint16, server, client []byte) *flow.Flow {
	f := &flow.Flow{Server: flow.Endpoint{Port: port}, Prefix: append(append([]byte(nil), server...), client...), ClientSYN: true}
	f.PrefixRuns = []flow.PrefixRun{{Len: len(server)}}
	if len(client) > 0 {
		f.PrefixRuns = append(f.PrefixRuns, flow.PrefixRun{FromClient: true, Len: len(client)})
	}
	return f
}

func TestServerSpeaksFirst(t *testing.T) {
	tab := Calibrate("labset benign", inputs(t, labset.Benign, 24), nil)
	stage := inputs(t, labset.StagerPayload, 1)[0].Flow.Prefix
	hello := inputs(t, labset.Benign, 1)[0].Flow
	cases := []struct {
		name string
		f    *flow.Flow
		want string // the label, "" when the check must not fire
	}{
		{"a stager's handler sends its payload", serverFirstFlow(443, stage, nil), "executable"},
		{"an SSH server greets", serverFirstFlow(443, []byte("SSH-2.0-OpenSSH_9.2p1\r\n"), []byte("SSH-2.0-Go\r\n")), "ssh"},
		{"a mail server greets on 465", serverFirstFlow(465, []byte("220 mx.example.org ESMTP\r\n"), nil), "smtp"},
		{"not a TLS port", serverFirstFlow(8080, stage, nil), ""},
		{"the client's SYN missed: a hello it carried (TCP Fast Open) may be lost", withoutClientSYN(serverFirstFlow(443, stage, nil)), ""},
		{"a server gives up on a silent client with an alert", serverFirstFlow(443, []byte("\x15\x00\x00\x00\x02\x01\x00"), nil), ""},
		{"the server's TLS first: a hello the capture lost", serverFirstFlow(443, hello.ServerHandshake, nil), ""},
		{"the client first", hello, ""},
	}
	for _, tc := range cases {
		in := input(tc.f)
		l, fired := serverSpokeFirst(in)
		if fired != (tc.want != "") || l != tc.want {
			t.Errorf("%s: fired %v with %q, want %q", tc.name, fired, l, tc.want)
		}
		if !fired {
			continue
		}
		found := false
		for _, x := range tab.Explain(in) {
			if x.ID == "proto.server_first" {
				found = true
				if x.Value != tc.want || !strings.Contains(x.Text, "the server spoke first") || x.Bits < 4 {
					t.Errorf("%s: %+v", tc.name, x)
				}
			}
		}
		if !found {
			t.Errorf("%s: no finding", tc.name)
		}
	}
	mid := serverFirstFlow(443, stage, nil)
	mid.Midstream, mid.ClientSYN = true, false // a capture that missed the start: who spoke first is unknown
	if _, fired := serverSpokeFirst(input(mid)); fired {
		t.Error("fired on a flow picked up mid-stream")
	}
	// A capture that lost either side's first bytes (the client's hello,
	// the server's first segment): who spoke first is unknown too.
	for _, lost := range []func(*flow.Flow){
		func(f *flow.Flow) { f.ClientHoled = true },
		func(f *flow.Flow) { f.ServerHoled = true },
	} {
		f := serverFirstFlow(443, []byte("SSH-2.0-OpenSSH_9.2p1\r\n"), nil)
		lost(f)
		if _, fired := serverSpokeFirst(input(f)); fired {
			t.Errorf("fired where the capture lost a side's first bytes (client %v, server %v)", f.ClientHoled, f.ServerHoled)
		}
	}
	// The server's turn first in the capture, but acknowledging the
	// client's bytes that came after it (directions merged out of
	// order): the client spoke first.
	answered := serverFirstFlow(443, []byte{0x20, 0xa3, 0xb7, 0x4e, 0xe7, 0x22, 0x92, 0x35, 1, 2, 3, 4, 5, 6, 7, 8}, []byte("GET / HTTP/1.1\r\n"))
	if _, fired := serverSpokeFirst(input(answered)); !fired {
		t.Fatal("the binary turn first did not fire")
	}
	answered.ServerAnswered = true
	if _, fired := serverSpokeFirst(input(answered)); fired {
		t.Error("fired on a server turn that acknowledged the client's bytes")
	}
	late := serverFirstFlow(443, []byte("SSH-2.0-OpenSSH_9.2p1\r\n"), nil)
	late.ServerHoled, late.ServerIntact = true, 10 // a hole after the greeting began
	if _, fired := serverSpokeFirst(input(late)); !fired {
		t.Error("a hole after the server's first bytes hid that it spoke first")
	}
}

// TestServerAnswersWhatWasNotOffered: a ServerHello whose cipher suite
// the ClientHello did not offer (a canned hello replayed whatever the
// client said) fires hs.server_unoffered; the real answer does not.
func TestServerAnswersWhatWasNotOffered(t *testing.T) {
	tab := Calibrate("labset benign", inputs(t, labset.Benign, 24), nil)
	f := inputs(t, labset.Benign, 1)[0].Flow
	if what, _ := unoffered(input(f)); what != unofferedNone {
		t.Fatal("a real handshake's server answered with what was not offered")
	}
	sh := bytes.Clone(f.ServerHandshake)
	// record header 5, handshake header 4, version 2, random 32, session id
	at := 5 + 4 + 2 + 32
	at += 1 + int(sh[at])
	sh[at], sh[at+1] = 0x00, 0x05 // TLS_RSA_WITH_RC4_128_SHA, which no Go client offers
	f.ServerHandshake = sh
	in := input(f)
	found := false
	for _, x := range tab.Explain(in) {
		if x.ID == "hs.server_unoffered" {
			found = true
			if x.Field != "tls.server.cipher_suite" || x.Value != "TLS_RSA_WITH_RC4_128_SHA" || x.Bits < 4 {
				t.Errorf("%+v", x)
			}
		}
	}
	if !found {
		t.Errorf("no finding: %+v", tab.Explain(in))
	}
}

// TestInconsistentHello: a ClientHello that contradicts itself, as no
// TLS library writes one as shipped.
func TestInconsistentHello(t *testing.T) {
	grease := uint16(0x0a0a)
	cases := []struct {
		name string
		ch   tlsparse.ClientHello
		want helloFlaw
		v    uint16
	}{
		{"consistent", tlsparse.ClientHello{SupportedVersions: []uint16{grease, 0x0304, 0x0303}, CipherSuites: []uint16{grease, 0x1301, 0xc02f},
			SupportedGroups: []uint16{grease, 29, 23}, KeyShareGroups: []uint16{grease, 29}, Extensions: []tlsparse.Extension{{Type: 0}, {Type: 10}}}, flawNone, 0},
		{"TLS 1.3 without its suites", tlsparse.ClientHello{SupportedVersions: []uint16{0x0304, 0x0303}, CipherSuites: []uint16{0xc02f, 0xc030}}, flawNo13Suite, 0},
		{"a key share for an unlisted group", tlsparse.ClientHello{SupportedVersions: []uint16{0x0304}, CipherSuites: []uint16{0x1301},
			SupportedGroups: []uint16{23, 24}, KeyShareGroups: []uint16{29}}, flawKeyShare, 29},
		{"an extension twice", tlsparse.ClientHello{CipherSuites: []uint16{0xc02f}, Extensions: []tlsparse.Extension{{Type: 0}, {Type: 10}, {Type: 0}}}, flawDuplicate, 0},
		{"TLS 1.2 only, no TLS 1.3 suite", tlsparse.ClientHello{CipherSuites: []uint16{0xc02f}}, flawNone, 0},
		{"SSLv2, a 16-byte challenge", tlsparse.ClientHello{SSLv2: true, CipherSpecsV2: []uint32{0x010080}, Challenge: make([]byte, 16)}, flawNone, 0},
		{"SSLv2, a 32-byte challenge", tlsparse.ClientHello{SSLv2: true, CipherSpecsV2: []uint32{0x010080}, Challenge: make([]byte, 32)}, flawNone, 0},
		{"SSLv2, a 5-byte challenge (a DROWN tool's)", tlsparse.ClientHello{SSLv2: true, CipherSpecsV2: []uint32{0x020080}, Challenge: make([]byte, 5)}, flawChallengeV2, 5},
		{"SSLv2, a 33-byte challenge", tlsparse.ClientHello{SSLv2: true, Challenge: make([]byte, 33)}, flawChallengeV2, 33},
	}
	for _, tc := range cases {
		what, v := inconsistentHello(&tc.ch)
		if what != tc.want || v != tc.v {
			t.Errorf("%s: %v %d, want %v %d", tc.name, what, v, tc.want, tc.v)
		}
		if what == flawNone {
			continue
		}
		in := &Input{TLS: &tlsparse.Handshake{Client: &tc.ch}}
		if _, _, text := describeInconsistentHello(in); !strings.HasPrefix(text, "the ClientHello ") {
			t.Errorf("%s: %q", tc.name, text)
		}
	}
}

// TestUnofferedParts: each part of a ServerHello its client did not
// offer, and what a server may answer unasked (renegotiation_info to the
// SCSV).
func TestUnofferedParts(t *testing.T) {
	ch := &tlsparse.ClientHello{CipherSuites: []uint16{0x1301, 0xc02f, 0x00ff}, SupportedVersions: []uint16{0x0304, 0x0303},
		ALPN: []string{"h2", "http/1.1"}, Extensions: []tlsparse.Extension{{Type: 0}, {Type: 16}, {Type: 43}}}
	cases := []struct {
		name  string
		sh    tlsparse.ServerHello
		want  unofferedKind
		field string
	}{
		{"as offered", tlsparse.ServerHello{CipherSuite: 0xc02f, ALPN: "h2", Extensions: []tlsparse.Extension{{Type: 16}, {Type: 0xff01}}}, unofferedNone, ""},
		{"a suite not offered", tlsparse.ServerHello{CipherSuite: 0x0005}, unofferedCipher, "tls.server.cipher_suite"},
		{"a version not offered", tlsparse.ServerHello{CipherSuite: 0x1301, SelectedVersion: 0x0302, Extensions: []tlsparse.Extension{{Type: 43}}}, unofferedVersion, "tls.server.version"},
		{"an extension not sent", tlsparse.ServerHello{CipherSuite: 0xc02f, Extensions: []tlsparse.Extension{{Type: 23}}}, unofferedExtension, "tls.server.extensions"},
		{"an ALPN protocol not in the list", tlsparse.ServerHello{CipherSuite: 0xc02f, ALPN: "spdy/3", Extensions: []tlsparse.Extension{{Type: 16}}}, unofferedALPN, "tls.server.alpn"},
	}
	for _, tc := range cases {
		in := &Input{TLS: &tlsparse.Handshake{Client: ch, Server: &tlsparse.ServerFlight{ServerHello: &tc.sh}}}
		if what, _ := unoffered(in); what != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, what, tc.want)
			continue
		}
		if tc.want == unofferedNone {
			continue
		}
		if field, _, text := describeUnoffered(in); field != tc.field || !strings.HasPrefix(text, "the server's hello answers with what its client never offered (") {
			t.Errorf("%s: %s %q", tc.name, field, text)
		}
	}
}

// TestEncryptedHelloAnswered: a client that offers Encrypted Client Hello
// is answered, when the server accepts it, to the inner hello: a
// pre-shared key the outer hello never offered is no canned answer, and
// the check does not judge such a pair (Chrome resuming to Cloudflare's
// ECH servers).
func TestEncryptedHelloAnswered(t *testing.T) {
	ch := &tlsparse.ClientHello{CipherSuites: []uint16{0x1301}, SupportedVersions: []uint16{0x0304},
		Extensions: []tlsparse.Extension{{Type: 0}, {Type: 43}, {Type: 51}}}
	sh := &tlsparse.ServerHello{CipherSuite: 0x1301, SelectedVersion: 0x0304, Extensions: []tlsparse.Extension{{Type: 43}, {Type: 51}, {Type: 41}}}
	in := &Input{TLS: &tlsparse.Handshake{Client: ch, Server: &tlsparse.ServerFlight{ServerHello: sh}}}
	if !answersThisHello(in) {
		t.Fatal("a plain hello pair is not judged")
	}
	if what, v := unoffered(in); what != unofferedExtension || v != 41 {
		t.Fatalf("an unoffered pre_shared_key: %v %d", what, v)
	}
	ech := *ch
	ech.Extensions = append(slices.Clone(ch.Extensions), tlsparse.Extension{Type: tlsparse.ExtEncryptedClientHello})
	in.TLS.Client = &ech
	if answersThisHello(in) {
		t.Error("a hello offering ECH: its server may answer the inner hello, yet the pair is judged")
	}
}

// TestWeakRandom: hello randoms no generator writes (the Heartbleed
// exploit's hard-coded hello: a time and 28 zero bytes) against real ones.
func TestWeakRandom(t *testing.T) {
	real := inputs(t, labset.Benign, 8)
	for _, in := range real {
		if weakRandom(in.TLS.Client.Random) || weakRandom(in.TLS.Server.ServerHello.Random) {
			t.Errorf("a crypto/tls random judged weak: %x %x", in.TLS.Client.Random, in.TLS.Server.ServerHello.Random)
		}
	}
	heartbleed := append([]byte{0x53, 0x44, 0x1f, 0xaf}, make([]byte, 28)...)
	sentinel := append(bytes.Repeat([]byte{0x5a, 0xa5}, 12), "DOWNGRD\x01"...) // TLS 1.3's downgrade sentinel ends a server random
	run := append(bytes.Repeat([]byte{1, 2}, 6), bytes.Repeat([]byte{7}, 20)...)
	for _, c := range []struct {
		name string
		r    []byte
		want bool
	}{
		{"time and zeros", heartbleed, true},
		{"a run of 8", run, true},
		{"the downgrade sentinel", sentinel, false},
		{"too short", make([]byte, 16), false},
	} {
		if got := weakRandom(c.r); got != c.want {
			t.Errorf("%s: %v", c.name, got)
		}
	}
}

// TestHelloFragmented: a ClientHello cut over two records (as DPI evasion
// tools send it) fires hs.hello_fragmented; the same hello whole does not.
func TestHelloFragmented(t *testing.T) {
	tab := Calibrate("labset benign", inputs(t, labset.Benign, 24), nil)
	f := inputs(t, labset.Benign, 1)[0].Flow
	if helloFragmented(input(f)) {
		t.Fatal("a whole hello judged cut")
	}
	hello := f.ClientHandshake
	n := int(hello[3])<<8 | int(hello[4])
	body := hello[5 : 5+n]
	cut := append(append([]byte{22, hello[1], hello[2], 0, 40}, body[:40]...), 22, hello[1], hello[2], byte((n-40)>>8), byte(n-40))
	cut = append(cut, body[40:]...)
	// Go's hello with a post-quantum key share fills the prefix alone.
	f.ClientHandshake = cut
	f.Prefix = bytes.Clone(cut[:min(len(cut), 1024)])
	f.PrefixRuns = []flow.PrefixRun{{FromClient: true, Len: len(f.Prefix)}}
	in := input(f)
	if !helloFragmented(in) {
		t.Fatalf("a hello cut over two records not judged cut: %+v", in.T.Client.Records)
	}
	found := false
	for _, x := range tab.Explain(in) {
		found = found || x.ID == "hs.hello_fragmented" && x.Bits >= 4
	}
	if !found {
		t.Errorf("no finding: %+v", tab.Explain(in))
	}
}

// TestWhatsAppOnItsPort: WhatsApp's own protocol on 443, where its chat
// servers serve it, is no protocol mismatch; on another TLS port it is.
func TestWhatsAppOnItsPort(t *testing.T) {
	// "WA", version 6.3, a 280-byte first frame that opens a Noise hello.
	wa := append([]byte{'W', 'A', 6, 3, 0, 1, 0x18, 0x12, 0x95, 0x02, 0x0a, 0x20}, bytes.Repeat([]byte{0x4b, 0x1d, 0x15, 0x20}, 70)...)
	on := func(port uint16) *Input {
		return input(&flow.Flow{Server: flow.Endpoint{Port: port}, ClientSYN: true, Prefix: wa,
			PrefixRuns: []flow.PrefixRun{{FromClient: true, Len: len(wa)}}})
	}
	if got := on(443).TLS.AppProto; got != tlsparse.SniffWhatsApp {
		t.Fatalf("app_proto %q, want %q", got, tlsparse.SniffWhatsApp)
	}
	if l, fired := notTLS(on(443)); fired {
		t.Errorf("WhatsApp on 443: notTLS %q", l)
	}
	if l, fired := notTLS(on(8443)); !fired || l != tlsparse.SniffWhatsApp {
		t.Errorf("WhatsApp on 8443: notTLS %q %v", l, fired)
	}
}

// TestMTProtoOnItsPort: Telegram's obfuscated transport on 443, where
// Telegram's data centres serve it, is no protocol mismatch; on another
// TLS port it is, and random bytes are one everywhere.
func TestMTProtoOnItsPort(t *testing.T) {
	header, err := capgen.MTProtoHeader(rand.New(rand.NewPCG(3, 4)), 0xefefefef)
	if err != nil {
		t.Fatal(err)
	}
	telegram := append(header, bytes.Repeat([]byte{0x5e, 0xa1, 0x07, 0xc3}, 40)...)
	random := inputs(t, labset.NonTLSRandom, 1)[0].Flow.Prefix
	clientFirst := func(port uint16, b []byte) *Input {
		return input(&flow.Flow{Server: flow.Endpoint{Port: port}, Prefix: b,
			PrefixRuns: []flow.PrefixRun{{FromClient: true, Len: len(b)}}})
	}
	cases := []struct {
		name string
		in   *Input
		want string // the protocol notTLS names, "" when it must not
	}{
		{"Telegram on 443", clientFirst(443, telegram), ""},
		{"Telegram on 8443", clientFirst(8443, telegram), tlsparse.SniffMTProto},
		{"random bytes on 443", clientFirst(443, random), labelRandom},
	}
	for _, tc := range cases {
		if got := tc.in.TLS.AppProto; got != tlsparse.SniffMTProto && tc.want != labelRandom {
			t.Errorf("%s: app_proto %q, want %q", tc.name, got, tlsparse.SniffMTProto)
		}
		if l, fired := notTLS(tc.in); fired != (tc.want != "") || l != tc.want {
			t.Errorf("%s: notTLS %q %v, want %q", tc.name, l, fired, tc.want)
		}
	}
}

// withoutClientSYN is f as a capture that saw the server's SYN-ACK but not
// the client's SYN shows it.
func withoutClientSYN(f *flow.Flow) *flow.Flow {
	f.ClientSYN = false
	return f
}

// TestRandomSuites: a hello whose cipher list is mostly values no
// registry assigns (a tool dressing other traffic as TLS) fires
// hs.client_random_suites; a library's hello with a few drafts' or
// private values beside registered suites does not.
func TestRandomSuites(t *testing.T) {
	grease := uint16(0x0a0a)
	for _, tc := range []struct {
		name   string
		suites []uint16
		fires  bool
	}{
		{"a library's list", []uint16{grease, 0x1301, 0x1302, 0xc02b, 0xc02f, 0x009c}, false},
		{"old Chrome's drafts and GOST beside registered suites", []uint16{0xcc14, 0xcc13, 0xcc15, 0xff85, 0x0081, 0xc02b, 0xc02f, 0xc00a, 0x0035, 0x002f, 0x000a}, false},
		{"PotatoVPN's ten random values", []uint16{0x5cc5, 0x1116, 0x6f96, 0xe559, 0x5c49, 0xe122, 0x68d6, 0xc0cf, 0x81d8, 0xa248}, true},
		{"three random values of three", []uint16{0x5cc5, 0x1116, 0x6f96}, false},
		{"GREASE only", []uint16{grease, 0x1a1a, 0x2a2a, 0x3a3a, 0x4a4a}, false},
	} {
		in := &Input{TLS: &tlsparse.Handshake{Client: &tlsparse.ClientHello{CipherSuites: tc.suites}}}
		if got := randomSuites(in); got != tc.fires {
			t.Errorf("%s: fires %v, want %v", tc.name, got, tc.fires)
		}
	}

	tab := Calibrate("labset benign", inputs(t, labset.Benign, 24), nil)
	f := inputs(t, labset.Benign, 1)[0].Flow
	ch := bytes.Clone(f.ClientHandshake)
	// record header 5, handshake header 4, version 2, random 32, session id
	at := 5 + 4 + 2 + 32
	at += 1 + int(ch[at])
	n := int(ch[at])<<8 | int(ch[at+1])
	for i := 0; i < n; i += 2 {
		v := uint16(0x7a00 + i)
		if tlsparse.CipherSuiteAssigned(v) {
			t.Fatalf("0x%04x is assigned", v)
		}
		ch[at+2+i], ch[at+3+i] = byte(v>>8), byte(v)
	}
	f.ClientHandshake = ch
	found := false
	for _, x := range tab.Explain(input(f)) {
		if x.ID == "hs.client_random_suites" {
			found = true
			if x.Field != "tls.client.cipher_suites" || x.Bits < 4 || !strings.HasPrefix(x.Text, "the client offered "+x.Value+" cipher suites that no registry assigns (0x7A00, 0x7A02, 0x7A04, ...)") {
				t.Errorf("%+v", x)
			}
		}
	}
	if !found {
		t.Errorf("no finding: %+v", tab.Explain(input(f)))
	}
}

// TestOpenVPNWithoutTLSNamed: OpenVPN over TCP whose control channel is
// encrypted (tls-crypt) carries no TLS in clear; on 443 it is named, as
// the VPN tunnel it is, rather than "unrecognised binary", and weighs
// the rate of its own label.
func TestOpenVPNWithoutTLSNamed(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	noise := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	session := noise(8)
	packet := func(opcode byte, body []byte) []byte {
		p := append([]byte{0, byte(1 + len(session) + len(body)), opcode << 3}, session...)
		return append(p, body...)
	}
	// A hard reset with tls-crypt's packet id and time, then an ack.
	stream := append(packet(7, append([]byte{0, 0, 0, 1, 0x63, 0xcf, 0x4f, 0xf5}, noise(37)...)), packet(5, noise(45))...)
	in := input(&flow.Flow{Server: flow.Endpoint{Port: 443}, ClientSYN: true, Prefix: stream,
		PrefixRuns: []flow.PrefixRun{{FromClient: true, Len: len(stream)}}})
	if got := in.TLS.AppProto; got != tlsparse.SniffOpenVPN {
		t.Fatalf("app_proto %q, want %q", got, tlsparse.SniffOpenVPN)
	}
	if l, fired := notTLS(in); !fired || l != tlsparse.SniffOpenVPN {
		t.Fatalf("notTLS %q %v", l, fired)
	}
	tab := Calibrate("b", inputs(t, labset.Benign, 8), nil)
	found := false
	for _, x := range tab.Explain(in) {
		if x.ID == prefixNotTLS+tlsparse.SniffOpenVPN {
			found = strings.Contains(x.Text, "OpenVPN's TCP framing") && x.Bits == tab.Score(in)
		}
	}
	if !found {
		t.Errorf("no OpenVPN finding alone: %+v", tab.Explain(in))
	}
}

// TestMidstreamBinaryNamesNothing: a connection picked up after its start
// (no SYN) shows its client's bytes from anywhere: a TCP keep-alive
// probe's one stale byte, or a TLS record's middle. Unnamed binary from
// there is no protocol on a TLS port; the same byte from a connection's
// start is, and a protocol that names itself (SSH's banner) is either way.
func TestMidstreamBinaryNamesNothing(t *testing.T) {
	on443 := func(b []byte, midstream bool) *Input {
		return input(&flow.Flow{Server: flow.Endpoint{Port: 443}, ClientSYN: !midstream, Midstream: midstream, Prefix: b,
			PrefixRuns: []flow.PrefixRun{{FromClient: true, Len: len(b)}}})
	}
	keepAlive := []byte{0}
	if l, fired := notTLS(on443(keepAlive, true)); fired {
		t.Errorf("a keep-alive's byte picked up mid-stream: notTLS %q", l)
	}
	if l, fired := notTLS(on443(keepAlive, false)); !fired || l != tlsparse.SniffBinary {
		t.Errorf("the same byte from the connection's start: notTLS %q %v", l, fired)
	}
	if l, fired := notTLS(on443([]byte("SSH-2.0-OpenSSH_9.6\r\n"), true)); !fired || l != tlsparse.SniffSSH {
		t.Errorf("SSH picked up mid-stream: notTLS %q %v", l, fired)
	}
}
