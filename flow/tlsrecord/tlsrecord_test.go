package tlsrecord

import (
	"testing"
)

func TestHelloStart(t *testing.T) {
	cases := []struct {
		name   string
		b      []byte
		client bool
		server bool
	}{
		{"client hello", []byte{22, 3, 1, 0, 200, 1}, true, false},
		{"server hello", []byte{22, 3, 3, 0, 90, 2}, false, true},
		{"TLS 1.3 record version", []byte{22, 3, 4, 0, 90, 2}, false, true},
		{"too short", []byte{22, 3, 1, 0, 200}, false, false},
		{"alert", []byte{21, 3, 3, 0, 2, 2}, false, false},
		{"record version 3.5", []byte{22, 3, 5, 0, 200, 1}, false, false},
		{"major 2", []byte{22, 2, 0, 0, 200, 1}, false, false},
		{"record over the limit", []byte{22, 3, 1, 0x48, 0x01, 1}, false, false},
		{"record at the limit", []byte{22, 3, 1, 0x48, 0x00, 1}, true, false},
		{"record shorter than a message header", []byte{22, 3, 1, 0, 3, 1}, false, false},
		{"certificate first", []byte{22, 3, 3, 0, 90, 11}, false, false},
		{"draft hello retry", []byte{22, 3, 1, 0, 8, 6}, false, true},
	}
	for _, tc := range cases {
		if got := HelloStart(tc.b, false); got != tc.client {
			t.Errorf("%s: client %v, want %v", tc.name, got, tc.client)
		}
		if got := HelloStart(tc.b, true); got != tc.server {
			t.Errorf("%s: server %v, want %v", tc.name, got, tc.server)
		}
	}
}

func TestAlertStart(t *testing.T) {
	for _, tc := range []struct {
		b    []byte
		want bool
	}{
		{[]byte{21, 3, 3, 0, 2, 2, 40}, true},
		{[]byte{21, 3, 1, 0, 2, 1, 112}, true},
		{[]byte{21, 3, 3, 0, 2, 2}, false},        // alert description missing
		{[]byte{21, 3, 3, 0, 2, 3, 40}, false},    // no such level
		{[]byte{21, 3, 3, 0, 26, 2, 40}, false},   // encrypted alert: longer than two bytes
		{[]byte{21, 0, 0, 0, 2, 1, 0}, false},     // version 0.0: not TLS
		{[]byte{22, 3, 3, 0, 2, 2, 40}, false},    // handshake record
		{[]byte{21, 3, 3, 0, 2, 2, 40, 9}, true},  // more bytes follow
		{[]byte{21, 3, 3, 1, 2, 2, 40, 9}, false}, // length 258
	} {
		if got := AlertStart(tc.b); got != tc.want {
			t.Errorf("% x: %v, want %v", tc.b, got, tc.want)
		}
	}
}

func TestSSLv2(t *testing.T) {
	for _, tc := range []struct {
		b              []byte
		client, server bool
	}{
		{[]byte{0x80, 0x2e, 1, 0, 2}, true, false},
		{[]byte{0x80, 0x2e, 1, 3, 1}, true, false},
		{[]byte{0x80, 0x2e, 1, 3, 3}, true, false},
		{[]byte{0x80, 0x2e, 1, 3, 4}, false, false}, // TLS 1.3 never came in an SSLv2 hello
		{[]byte{0x80, 0x2e, 1, 0, 3}, false, false},
		{[]byte{0x80, 0x08, 1, 0, 2}, false, false}, // shorter than the fixed fields
		{[]byte{0x00, 0x2e, 1, 0, 2}, false, false},
		{[]byte{0x82, 0x00, 4, 0, 1, 0, 2}, false, true},
		{[]byte{0x80, 0x0b, 4, 0, 1, 0, 2}, false, true},
		{[]byte{0x80, 0x0a, 4, 0, 1, 0, 2}, false, false}, // 10 bytes: one short of the fixed fields
		{[]byte{0x82, 0x00, 4, 0, 1, 3, 0}, false, false}, // SSLv2 servers answer with version 2
		{[]byte{0x82, 0x00, 4, 0, 1, 0}, false, false},    // too short to tell
	} {
		if got := IsSSLv2ClientHello(tc.b); got != tc.client {
			t.Errorf("% x: client %v, want %v", tc.b, got, tc.client)
		}
		if got := IsSSLv2ServerHello(tc.b); got != tc.server {
			t.Errorf("% x: server %v, want %v", tc.b, got, tc.server)
		}
	}
}

// TestMaybeSSLv2: every prefix of a hello the recognisers accept may
// still become one; prefixes that cannot are refused.
func TestMaybeSSLv2(t *testing.T) {
	client := []byte{0x80, 0x2e, 1, 3, 1}
	server := []byte{0x82, 0x00, 4, 0, 1, 0, 2}
	for i := range len(client) {
		if !MaybeSSLv2(client[:i], SSLv2ClientHello) {
			t.Errorf("client prefix % x refused", client[:i])
		}
	}
	for i := range len(server) {
		if !MaybeSSLv2(server[:i], SSLv2ServerHello) {
			t.Errorf("server prefix % x refused", server[:i])
		}
	}
	for _, b := range [][]byte{{0x16}, {0x80, 0x05}, {0x80, 0x2e, 4}} {
		if MaybeSSLv2(b, SSLv2ClientHello) {
			t.Errorf("% x accepted", b)
		}
	}
	if SSLv2Len(client) != 0x2e+2 {
		t.Errorf("SSLv2Len %d", SSLv2Len(client))
	}
}

func TestValidHeader(t *testing.T) {
	full := []byte{23, 3, 3, 0x48, 0x00}
	for i := range len(full) + 1 {
		if !ValidHeader(full[:i]) {
			t.Errorf("prefix % x refused", full[:i])
		}
	}
	for _, b := range [][]byte{{19}, {25}, {23, 2}, {23, 3, 5}, {23, 3, 3, 0x48, 0x01}} {
		if ValidHeader(b) {
			t.Errorf("% x accepted", b)
		}
	}
}

// FuzzRecognisers: no input panics or reads past what it is given; a
// hello start is always a valid header; the SSLv2 recognisers agree with
// MaybeSSLv2 on the bytes they needed.
func FuzzRecognisers(f *testing.F) {
	f.Add([]byte{22, 3, 1, 0, 200, 1})
	f.Add([]byte{21, 3, 3, 0, 2, 2, 40})
	f.Add([]byte{0x80, 0x2e, 1, 3, 1})
	f.Add([]byte{0x82, 0x00, 4, 0, 1, 0, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		b = b[:len(b):len(b)]
		for _, server := range []bool{false, true} {
			if HelloStart(b, server) && !ValidHeader(b[:HeaderLen]) {
				t.Fatalf("% x: hello start with an invalid header", b)
			}
		}
		if AlertStart(b) && !ValidHeader(b[:HeaderLen]) {
			t.Fatalf("% x: alert with an invalid header", b)
		}
		if IsSSLv2ClientHello(b) && !MaybeSSLv2(b[:SSLv2ClientHelloMin-1], SSLv2ClientHello) {
			t.Fatalf("% x: client hello whose prefix is refused", b)
		}
		if IsSSLv2ServerHello(b) && !MaybeSSLv2(b[:SSLv2ServerHelloMin-1], SSLv2ServerHello) {
			t.Fatalf("% x: server hello whose prefix is refused", b)
		}
		if len(b) >= 2 && SSLv2Len(b) < 2 {
			t.Fatal("negative SSLv2 length")
		}
		if HelloOffers(b, ExtHeartbeat) && !HelloStart(b, false) && !HelloStart(b, true) {
			t.Fatalf("% x: an extension found outside a hello", b)
		}
	})
}

// helloWith is a ClientHello record offering the given extensions (each
// with an empty body but the heartbeat's mode byte).
func helloWith(exts ...uint16) []byte {
	var ext []byte
	for _, e := range exts {
		body := []byte{}
		if e == ExtHeartbeat {
			body = []byte{1}
		}
		ext = append(ext, byte(e>>8), byte(e), 0, byte(len(body)))
		ext = append(ext, body...)
	}
	msg := []byte{3, 3}
	msg = append(msg, make([]byte, 32)...)
	msg = append(msg, 2, 0xaa, 0xbb)          // session id
	msg = append(msg, 0, 4, 0x13, 1, 0, 0x2f) // cipher suites
	msg = append(msg, 1, 0)                   // compression: null
	msg = append(msg, byte(len(ext)>>8), byte(len(ext)))
	msg = append(msg, ext...)
	hs := append([]byte{ClientHello, 0, byte(len(msg) >> 8), byte(len(msg))}, msg...)
	return append([]byte{Handshake, 3, 1, byte(len(hs) >> 8), byte(len(hs))}, hs...)
}

func TestHelloOffers(t *testing.T) {
	with := helloWith(0, 10, ExtHeartbeat, 13)
	if !HelloOffers(with, ExtHeartbeat) {
		t.Fatal("heartbeat extension not found")
	}
	if HelloOffers(with, 43) {
		t.Error("an extension the hello does not list found")
	}
	if HelloOffers(helloWith(0, 10, 13), ExtHeartbeat) {
		t.Error("heartbeat found in a hello without it")
	}
	// Cut anywhere before the extension's header ends, the hello does not
	// show it; a cut record is read as far as it goes.
	at := len(with) - 4 - 5 // the heartbeat entry (5 bytes) before the last (4)
	for n := range len(with) {
		if got, want := HelloOffers(with[:n], ExtHeartbeat), n >= at+4; got != want {
			t.Errorf("cut at %d of %d: found %v", n, len(with), got)
		}
	}
	if HelloOffers(serverHelloWith(), ExtSupportedVersions) || !HelloOffers(serverHelloWith(ExtSupportedVersions), ExtSupportedVersions) {
		t.Error("a ServerHello's extensions misread")
	}
	retry := serverHelloWith(ExtSupportedVersions)
	retry[5] = HelloRetryDraft
	if HelloOffers(retry, ExtSupportedVersions) {
		t.Error("a draft HelloRetryRequest read as a ServerHello")
	}
}

// serverHelloWith is a ServerHello record listing the given extensions.
func serverHelloWith(exts ...uint16) []byte {
	var ext []byte
	for _, e := range exts {
		ext = append(ext, byte(e>>8), byte(e), 0, 2, 3, 4)
	}
	msg := []byte{3, 3}
	msg = append(msg, make([]byte, 32)...)
	msg = append(msg, 1, 0xaa, 0x13, 0x01, 0) // session id, suite, compression
	msg = append(msg, byte(len(ext)>>8), byte(len(ext)))
	msg = append(msg, ext...)
	hs := append([]byte{ServerHello, 0, byte(len(msg) >> 8), byte(len(msg))}, msg...)
	return append([]byte{Handshake, 3, 3, byte(len(hs) >> 8), byte(len(hs))}, hs...)
}
