package tlsparse

import (
	"bytes"
	"testing"
)

// truncatedClient is a TLS 1.3 client's hello (TLS 1.2 in its legacy
// field, TLS 1.3 in supported_versions, which comes after the extensions
// that JA3 and JA4 count first) in one record, and where its parts end.
func truncatedClient() (stream []byte, supportedVersionsEnd int) {
	exts := [][]byte{
		extSNI("cut.example"),
		extGroups(0x001d, 0x0017),
		ext(ExtECPointFormats, vec(1, []byte{0})),
		extALPN("h2"),
		extSigAlgs(0x0403, 0x0804),
		extVersions(VersionTLS13, VersionTLS12),
		ext(ExtKeyShare, vec(2, u16b(0x001d), vec(2, make([]byte, 32)))),
		ext(ExtPadding, make([]byte, 40)),
	}
	stream = records(ContentHandshake, clientHello(VersionTLS12, []uint16{0x1301, 0x1302, 0xc02f}, exts))
	sv := extVersions(VersionTLS13, VersionTLS12)
	return stream, bytes.Index(stream, sv) + len(sv)
}

// truncatedServer is a TLS 1.3 ServerHello (TLS 1.2 in its legacy field,
// a session id of 32 zeros, supported_versions before key_share) in one
// record, and where its cipher suite and its supported_versions extension
// end.
func truncatedServer() (stream []byte, suiteEnd, supportedVersionsEnd int) {
	sv := ext(ExtSupportedVersions, u16b(VersionTLS13))
	sh := serverHello(VersionTLS12, nil, 0x1301, sv, ext(ExtKeyShare, u16b(0x001d), vec(2, make([]byte, 32))))
	stream = records(ContentHandshake, sh)
	// record header, message header, version, random, session id (1+32)
	suiteEnd = RecordHeaderLen + 4 + 2 + 32 + 33 + 2
	return stream, suiteEnd, bytes.Index(stream, sv) + len(sv)
}

// TestTruncatedHelloHasNoPrints: a hello cut anywhere before its end has
// no JA3, JA3N, JA4 or JA3S, whether rendered alone, through Prints, or
// through a CertCache that has seen the whole hello (its keys leave out
// where a hello was cut); a whole one has them. What Wireshark, Zeek and
// Suricata do: the fingerprint of a part ("771,,,," for a hello cut in
// its random) is nobody's, and would match a block list entry of it.
func TestTruncatedHelloHasNoPrints(t *testing.T) {
	client, _ := truncatedClient()
	server, _, _ := truncatedServer()
	cache := NewCertCache(16)
	whole := ParseFlow(client, server, nil, nil, cache)
	if whole.ClientErr != nil || whole.ServerErr != nil {
		t.Fatalf("whole hellos: %v, %v", whole.ClientErr, whole.ServerErr)
	}
	wp := whole.Prints(TransportTCP)
	if wp.JA3.Hash == "" || wp.JA3N.Hash == "" || wp.JA4 == "" || wp.JA4R == "" || wp.JA3S.Hash == "" {
		t.Fatalf("whole hellos: prints %+v", wp)
	}
	if got := whole.Client.JA4(TransportTCP).JA4; got != wp.JA4 || got[:4] != "t13d" {
		t.Fatalf("whole hello: JA4 %q, Prints %q", got, wp.JA4)
	}
	for _, c := range []struct {
		name string
		cut  int
	}{
		{"in the random", RecordHeaderLen + 4 + 2 + 10},
		{"in the cipher suites", RecordHeaderLen + 4 + 2 + 32 + 1 + 3},
		{"before the extensions", RecordHeaderLen + 4 + 2 + 32 + 1 + 8 + 2},
		{"in the extensions", len(client) / 2},
		{"one byte short", len(client) - 1},
	} {
		for _, certs := range []*CertCache{nil, cache} {
			h := ParseFlow(client[:c.cut], server[:len(server)-1], nil, nil, certs)
			if h.Client == nil || !h.Client.Truncated || h.Server == nil || !h.Server.ServerHello.Truncated {
				t.Fatalf("%s: hellos not truncated: %+v", c.name, h)
			}
			if p := h.Prints(TransportTCP); p != (FlowPrints{}) {
				t.Errorf("%s (cache %v): prints %+v", c.name, certs != nil, p)
			}
			if p := h.Prints(TransportQUIC); p != (FlowPrints{}) {
				t.Errorf("%s (cache %v): QUIC prints %+v", c.name, certs != nil, p)
			}
			ch := h.Client
			if ja3, ja3n := ch.JA3Pair(); ja3 != (JA3{}) || ja3n != (JA3{}) {
				t.Errorf("%s: JA3 %+v, JA3N %+v", c.name, ja3, ja3n)
			}
			if ja4 := ch.JA4(TransportTCP); ja4 != (JA4{}) {
				t.Errorf("%s: JA4 %+v", c.name, ja4)
			}
			if ja3s := h.Server.ServerHello.JA3S(); ja3s != (JA3{}) {
				t.Errorf("%s: JA3S %+v", c.name, ja3s)
			}
		}
	}
	// The cache still hands out the whole hellos' prints.
	if p := ParseFlow(client, server, nil, nil, cache).Prints(TransportTCP); p != wp {
		t.Errorf("whole hellos after the cut ones: %+v, want %+v", p, wp)
	}
}

// TestTruncatedHelloVersion: a hello cut short tells its version only
// once the field that holds it was read. A TLS 1.3 hello has TLS 1.2 in
// its legacy field; cut before supported_versions it is no TLS 1.2 one.
func TestTruncatedHelloVersion(t *testing.T) {
	client, clientSV := truncatedClient()
	server, suiteEnd, serverSV := truncatedServer()
	for _, c := range []struct {
		name           string
		client, server int // bytes of each stream; -1: all of it
		want           string
	}{
		{"whole", -1, -1, "TLS 1.3"},
		{"client cut before supported_versions, no server", clientSV - 1, 0, "UNDETERMINED"},
		{"client cut after supported_versions, no server", clientSV, 0, "TLS 1.3"},
		{"client cut in its random, no server", RecordHeaderLen + 12, 0, "UNDETERMINED"},
		{"server cut before its suite, client whole", -1, suiteEnd - 1, "TLS 1.3"},
		{"server cut before supported_versions, client cut", clientSV - 1, serverSV - 1, "UNDETERMINED"},
		{"server cut after supported_versions, client cut", 60, serverSV, "TLS 1.3"},
	} {
		cs, ss := client, server
		if c.client >= 0 {
			cs = client[:c.client]
		}
		if c.server >= 0 {
			ss = server[:c.server]
		}
		h := ParseFlow(cs, ss, nil, nil, nil)
		if got := h.VersionName(); got != c.want {
			t.Errorf("%s: version %q, want %q", c.name, got, c.want)
		}
	}

	// An older server's legacy field is its version: read, it is told.
	old := records(ContentHandshake, serverHello(VersionTLS10, nil, 0xc013))
	for cut, want := range map[int]string{RecordHeaderLen + 4 + 1: "UNDETERMINED", RecordHeaderLen + 4 + 2: "TLSv1", RecordHeaderLen + 4 + 40: "TLSv1"} {
		h := ParseFlow(client[:40], old[:cut], nil, nil, nil)
		if got := h.VersionName(); got != want {
			t.Errorf("TLS 1.0 server cut at %d: version %q, want %q", cut, got, want)
		}
	}
}

// TestTruncatedServerHelloSuite: HasCipherSuite says whether the suite was
// read; a hello cut before it has no TLS_NULL_WITH_NULL_NULL (suite 0).
// Cut before its supported_versions, a TLS 1.3 hello that echoes the
// client's session id is no resumption (the echo is TLS 1.3's
// legacy_session_id_echo).
func TestTruncatedServerHelloSuite(t *testing.T) {
	client, _ := truncatedClient()
	// The client's session id, so that the server's echoes it.
	sid := bytes.Repeat([]byte{0}, 32)
	body := client[RecordHeaderLen+4:]
	hello := append(append(append([]byte{}, body[:34]...), vec(1, sid)...), body[35:]...)
	client = records(ContentHandshake, hsMsg(typeClientHello, hello))
	server, suiteEnd, serverSV := truncatedServer()
	for _, c := range []struct {
		cut       int
		suite     bool
		resumed   bool
		whatIsCut string
	}{
		{suiteEnd - 1, false, false, "in the suite"},
		{suiteEnd, true, false, "after the suite"},
		{serverSV - 1, true, false, "in supported_versions"},
		{len(server), true, false, "nothing"},
	} {
		h := ParseFlow(client, server[:c.cut], nil, nil, nil)
		sh := h.Server.ServerHello
		if sh.HasCipherSuite() != c.suite || (c.suite && sh.CipherSuite != 0x1301) {
			t.Errorf("cut %s: HasCipherSuite %v, suite %04x", c.whatIsCut, sh.HasCipherSuite(), sh.CipherSuite)
		}
		if h.Resumed() != c.resumed {
			t.Errorf("cut %s: resumed %v", c.whatIsCut, h.Resumed())
		}
	}
	if sh := (&ServerHello{SSLv2: true}); sh.HasCipherSuite() {
		t.Error("SSLv2 hello: HasCipherSuite")
	}
	if sh := (&ServerHello{CipherSuite: 0xc02f}); !sh.HasCipherSuite() {
		t.Error("a ServerHello made whole: no HasCipherSuite")
	}
}
