package tlsparse

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

// Builders for handcrafted handshakes.

func u16b(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }

func vec(lenBytes int, body ...[]byte) []byte {
	b := bytes.Join(body, nil)
	n := len(b)
	switch lenBytes {
	case 1:
		return append([]byte{byte(n)}, b...)
	case 2:
		return append([]byte{byte(n >> 8), byte(n)}, b...)
	}
	return append([]byte{byte(n >> 16), byte(n >> 8), byte(n)}, b...)
}

func u16list(vs ...uint16) []byte {
	var b []byte
	for _, v := range vs {
		b = append(b, u16b(v)...)
	}
	return b
}

func ext(typ uint16, data ...[]byte) []byte {
	return append(u16b(typ), vec(2, data...)...)
}

func extSNI(name string) []byte {
	return ext(ExtServerName, vec(2, []byte{0}, vec(2, []byte(name))))
}

func extALPN(protos ...string) []byte {
	var l [][]byte
	for _, p := range protos {
		l = append(l, vec(1, []byte(p)))
	}
	return ext(ExtALPN, vec(2, l...))
}

func extGroups(gs ...uint16) []byte  { return ext(ExtSupportedGroups, vec(2, u16list(gs...))) }
func extSigAlgs(ss ...uint16) []byte { return ext(ExtSignatureAlgorithms, vec(2, u16list(ss...))) }
func extVersions(vs ...uint16) []byte {
	return ext(ExtSupportedVersions, vec(1, u16list(vs...)))
}

// clientHello builds a ClientHello handshake message. exts == nil omits the
// extensions block.
func clientHello(version uint16, ciphers []uint16, exts [][]byte) []byte {
	body := bytes.Join([][]byte{u16b(version), make([]byte, 32), vec(1), vec(2, u16list(ciphers...)), vec(1, []byte{0})}, nil)
	if exts != nil {
		body = append(body, vec(2, exts...)...)
	}
	return hsMsg(typeClientHello, body)
}

func hsMsg(typ byte, body []byte) []byte { return append([]byte{typ}, vec(3, body)...) }

// records wraps payload into records of the given type, cut after the
// given sizes (the rest goes in a last record).
func records(typ ContentType, payload []byte, sizes ...int) []byte {
	var out []byte
	for _, n := range append(sizes, len(payload)) {
		n = min(n, len(payload))
		out = append(out, byte(typ), 3, 1, byte(n>>8), byte(n))
		out = append(out, payload[:n]...)
		payload = payload[n:]
		if len(payload) == 0 {
			break
		}
	}
	return out
}

// serverHello builds a ServerHello message.
func serverHello(version uint16, random []byte, cipher uint16, exts ...[]byte) []byte {
	if random == nil {
		random = make([]byte, 32)
	}
	body := bytes.Join([][]byte{u16b(version), random, vec(1, make([]byte, 32)), u16b(cipher), {0}}, nil)
	if len(exts) > 0 {
		body = append(body, vec(2, exts...)...)
	}
	return hsMsg(typeServerHello, body)
}

// A hello with GREASE everywhere; its fingerprints are worked out by hand
// below.
func greaseHello() []byte {
	return clientHello(VersionTLS12, []uint16{0x1a1a, 0x1301, 0xc02f, 0x009c}, [][]byte{
		ext(0x0a0a),
		extSNI("example.com"),
		ext(0x0017),
		extGroups(0x2a2a, 0x001d, 0x0017, 0x0018),
		ext(ExtECPointFormats, vec(1, []byte{0})),
		extALPN("h2", "http/1.1"),
		extSigAlgs(0x0403, 0x0804, 0x0401),
		extVersions(0x3a3a, VersionTLS13, VersionTLS12),
		ext(ExtKeyShare, vec(2, u16b(0x4a4a), vec(2, []byte{0}), u16b(0x001d), vec(2, make([]byte, 32)))),
		ext(ExtPSKKeyExchangeModes, vec(1, []byte{1})),
		ext(0xfafa, []byte{0}),
	})
}

func TestGREASEValues(t *testing.T) {
	n := 0
	for v := 0; v <= 0xffff; v++ {
		if IsGREASE(uint16(v)) {
			n++
			if v&0x0f0f != 0x0a0a || v>>12 != (v>>4)&0xf {
				t.Errorf("%04x reported as GREASE", v)
			}
		}
	}
	if n != 16 || !IsGREASE(0x0a0a) || !IsGREASE(0xfafa) || IsGREASE(0x0a1a) || IsGREASE(0xaaab) {
		t.Errorf("%d GREASE values", n)
	}
}

func TestGREASEHello(t *testing.T) {
	ch, err := ParseClientHello(records(ContentHandshake, greaseHello()))
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint16{0x1a1a, 0x0a0a, 0x2a2a, 0x3a3a, 0x4a4a, 0xfafa}; !slices.Equal(ch.GREASE, want) {
		t.Errorf("GREASE %04x, want %04x", ch.GREASE, want)
	}
	if ch.ServerName != "example.com" || !slices.Equal(ch.ALPN, []string{"h2", "http/1.1"}) ||
		!slices.Equal(ch.KeyShareGroups, []uint16{0x4a4a, 0x001d}) || !slices.Equal(ch.PSKModes, []uint8{1}) {
		t.Errorf("fields: %+v", ch)
	}
	// JA3 and JA3N worked out by hand; MD5s computed independently.
	if got := ch.JA3(); got != (JA3{"771,4865-49199-156,0-23-10-11-16-13-43-51-45,29-23-24,0", "10da7888564a116ae56676610bc453d5"}) {
		t.Errorf("JA3 %+v", got)
	}
	if got := ch.JA3N(); got != (JA3{"771,4865-49199-156,0-10-11-13-16-23-43-45-51,29-23-24,0", "8e66c8bdbb966d1036c5df9d7fd063da"}) {
		t.Errorf("JA3N %+v", got)
	}
	want := JA4{
		JA4:   "t13d0309h2_159d175d8039_b7dbbb63159c",
		JA4R:  "t13d0309h2_009c,1301,c02f_000a,000b,000d,0017,002b,002d,0033_0403,0804,0401",
		JA4O:  "t13d0309h2_91af452c097a_bef707693f7b",
		JA4RO: "t13d0309h2_1301,c02f,009c_0000,0017,000a,000b,0010,000d,002b,0033,002d_0403,0804,0401",
	}
	if got := ch.JA4(TransportTCP); got != want {
		t.Errorf("JA4\n got %+v\nwant %+v", got, want)
	}
	if got := ch.JA4(TransportQUIC).JA4; got != "q"+want.JA4[1:] {
		t.Errorf("QUIC JA4 %q", got)
	}
}

// TestJA4SpecExample rebuilds the hello of the JA4 specification's example
// and expects the four fingerprints the specification gives.
func TestJA4SpecExample(t *testing.T) {
	sigs := []uint16{0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601}
	var exts [][]byte
	for _, e := range []uint16{0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015} {
		switch e {
		case ExtServerName:
			exts = append(exts, extSNI("example.com"))
		case ExtALPN:
			exts = append(exts, extALPN("h2", "http/1.1"))
		case ExtSignatureAlgorithms:
			exts = append(exts, extSigAlgs(sigs...))
		case ExtSupportedVersions:
			exts = append(exts, extVersions(0x7a7a, VersionTLS13, VersionTLS12))
		default:
			exts = append(exts, ext(e))
		}
	}
	ciphers := []uint16{0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035}
	ch, err := ParseClientHello(records(ContentHandshake, clientHello(VersionTLS12, ciphers, exts)))
	if err != nil {
		t.Fatal(err)
	}
	want := JA4{
		JA4:   "t13d1516h2_8daaf6152771_e5627efa2ab1",
		JA4R:  "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601",
		JA4O:  "t13d1516h2_acb858a92679_18f69afefd3d",
		JA4RO: "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_0403,0804,0401,0503,0805,0501,0806,0601",
	}
	if got := ch.JA4(TransportTCP); got != want {
		t.Errorf("JA4\n got %+v\nwant %+v", got, want)
	}
}

func TestJA4EdgeCases(t *testing.T) {
	ciphers := []uint16{0x0039, 0x0038, 0x0035}
	cases := []struct {
		name    string
		version uint16
		ciphers []uint16
		exts    [][]byte
		want    JA4
	}{
		{
			name: "no ciphers no extensions", version: VersionTLS12, exts: nil,
			want: JA4{"t12i000000_000000000000_000000000000", "t12i000000__", "t12i000000_000000000000_000000000000", "t12i000000__"},
		},
		{
			// The reference tool's output for a hello whose only extension is
			// SNI (ja4-expected/https3-301-get.pcap.json): JA4_o's c is zeros.
			name: "only SNI", version: VersionTLS10, ciphers: ciphers, exts: [][]byte{extSNI("a.example")},
			want: JA4{
				"t10d030100_" + hash12s("0035,0038,0039") + "_000000000000",
				"t10d030100_0035,0038,0039_",
				"t10d030100_" + hash12s("0039,0038,0035") + "_000000000000",
				"t10d030100_0039,0038,0035_0000",
			},
		},
		{
			name: "no signature algorithms, ssl3", version: VersionSSL30, ciphers: ciphers, exts: [][]byte{ext(ExtRenegotiationInfo, []byte{0}), ext(0x0005)},
			want: JA4{
				"ts3i030200_" + hash12s("0035,0038,0039") + "_" + hash12s("0005,ff01"),
				"ts3i030200_0035,0038,0039_0005,ff01",
				"ts3i030200_" + hash12s("0039,0038,0035") + "_" + hash12s("ff01,0005"),
				"ts3i030200_0039,0038,0035_ff01,0005",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ch, err := ParseClientHello(records(ContentHandshake, clientHello(tc.version, tc.ciphers, tc.exts)))
			if err != nil {
				t.Fatal(err)
			}
			if got := ch.JA4(TransportTCP); got != tc.want {
				t.Errorf("\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func hash12s(s string) string {
	h := hash12([]byte(s), false)
	return string(h[:])
}

func TestJA4Parts(t *testing.T) {
	alpn := []struct {
		first []byte
		want  string
	}{
		{[]byte("h2"), "h2"}, {[]byte("http/1.1"), "h1"}, {[]byte("x"), "xx"}, {nil, "00"},
		{[]byte{0xab}, "ab"}, {[]byte{0xab, 0xcd}, "ad"}, {[]byte{0x30, 0xab}, "3b"},
		{[]byte{0x30, 0x31, 0xab, 0xcd}, "3d"}, {[]byte{0x30, 0xab, 0xcd, 0x31}, "01"},
		{[]byte{0xba, 0xad}, "bd"}, {[]byte("/x"), "28"},
	}
	for _, tc := range alpn {
		ch := &ClientHello{ALPN: []string{string(tc.first), "h2"}, Extensions: []Extension{{Type: ExtALPN}}}
		if a, b := ja4ALPN(ch); string([]byte{a, b}) != tc.want {
			t.Errorf("ALPN %q: %q, want %q", tc.first, []byte{a, b}, tc.want)
		}
	}
	versions := []struct {
		legacy    uint16
		supported []uint16
		want      string
	}{
		{VersionTLS12, []uint16{0x0a0a, VersionTLS13, VersionTLS12}, "13"},
		{VersionTLS12, []uint16{0x0a0a}, "12"},
		{VersionTLS11, nil, "11"},
		{VersionTLS10, nil, "10"},
		{VersionSSL30, nil, "s3"},
		{VersionSSL20, nil, "s2"},
		{0xfefd, nil, "d2"},
		{VersionTLS12, []uint16{0x7f1c, VersionTLS12}, "00"},
		{0x0305, nil, "00"},
	}
	for _, tc := range versions {
		ch := &ClientHello{Version: tc.legacy, SupportedVersions: tc.supported}
		if tc.supported != nil {
			ch.Extensions = []Extension{{Type: ExtSupportedVersions}}
		}
		if got := ja4Version(ch); got != tc.want {
			t.Errorf("version %04x %04x: %q, want %q", tc.legacy, tc.supported, got, tc.want)
		}
	}
	many := make([]uint16, 120)
	for i := range many {
		many[i] = uint16(i + 1)
	}
	ch, err := ParseClientHello(records(ContentHandshake, clientHello(VersionTLS12, many, nil)))
	if err != nil || !strings.HasPrefix(ch.JA4(TransportTCP).JA4, "t12i990000_") {
		t.Errorf("cap at 99: %v %q", err, ch.JA4(TransportTCP).JA4)
	}
}

func TestJA3Malformed(t *testing.T) {
	good := clientHello(VersionTLS10, []uint16{0x002f, 0x0035}, [][]byte{extSNI("x.example")})
	// Offsets inside the message: 4 header, 2 version, 32 random, 1 sid.
	const csLen = 4 + 2 + 32 + 1
	oddCiphers := slices.Clone(good)
	oddCiphers[csLen+1] = 3
	longCiphers := slices.Clone(good)
	longCiphers[csLen] = 0x40
	extsLen := csLen + 2 + 4 + 2
	longExts := slices.Clone(good)
	longExts[extsLen] = 0xff
	cases := []struct {
		name string
		msg  []byte
		ja3  string
	}{
		{"odd cipher length", oddCiphers, ""},
		{"cipher length overruns", longCiphers, ""},
		{"extensions overrun", longExts, "769,47-53,"},
	}
	for _, tc := range cases {
		ch, err := ParseClientHello(records(ContentHandshake, tc.msg))
		if !errors.Is(err, ErrMalformed) || ch == nil {
			t.Fatalf("%s: err %v", tc.name, err)
		}
		if got := ch.JA3(); got.Full != tc.ja3 || (tc.ja3 == "") != (got.Hash == "") {
			t.Errorf("%s: JA3 %+v, want %q", tc.name, got, tc.ja3)
		}
	}
	if ch, err := ParseClientHello(records(ContentHandshake, good)); err != nil || ch.JA3().Full != "769,47-53,0,," {
		t.Errorf("good: %v %q", err, ch.JA3().Full)
	}
	noExts := clientHello(VersionTLS10, []uint16{0x002f}, nil)
	if ch, err := ParseClientHello(records(ContentHandshake, noExts)); err != nil || ch.JA3().Full != "769,47,,," {
		t.Errorf("no extensions: %v %q", err, ch.JA3().Full)
	}
}

func TestHelloAcrossRecords(t *testing.T) {
	msg := greaseHello()
	whole, err := ParseClientHello(records(ContentHandshake, msg))
	if err != nil {
		t.Fatal(err)
	}
	for _, sizes := range [][]int{{1}, {2}, {4}, {5}, {len(msg) / 2}, {len(msg) - 1}, {1, 1, 1, 1, 1}, {10, 20, 30, 40}} {
		stream := records(ContentHandshake, msg, sizes...)
		stream = append(stream, records(ContentApplicationData, []byte("after"))...)
		ch, err := ParseClientHello(stream)
		if err != nil {
			t.Fatalf("split %v: %v", sizes, err)
		}
		if !bytes.Equal(ch.Raw, msg) || ch.JA3() != whole.JA3() || ch.JA4(TransportTCP) != whole.JA4(TransportTCP) || ch.ServerName != "example.com" {
			t.Errorf("split %v: parse differs", sizes)
		}
		// The result must not alias the caller's stream.
		for i := range stream {
			stream[i] = 0
		}
		if ch.ServerName != "example.com" || !bytes.Equal(ch.Raw, msg) || ch.Extensions[1].Data[5] != 'e' {
			t.Errorf("split %v: result aliases the input", sizes)
		}
	}
}

// A server flight crafted by hand: ServerHello, Certificate, ServerHelloDone.
func craftedFlight(t testing.TB) (msgs []byte, leaf []byte) {
	testKeys(t)
	leaf = makeCert(t, ecKey, pkixName("crafted.example"), bigInt(42), nil, nil, nil).der
	sh := serverHello(VersionTLS12, nil, 0xc02b, ext(ExtRenegotiationInfo, []byte{0}), extALPN("h2"), ext(ExtECPointFormats, vec(1, []byte{0})))
	cert := hsMsg(typeCertificate, vec(3, vec(3, leaf), vec(3, []byte{0x30, 0x00})))
	done := hsMsg(typeServerHelloDone, nil)
	return bytes.Join([][]byte{sh, cert, done}, nil), leaf
}

func TestServerFlightLayouts(t *testing.T) {
	msgs, leaf := craftedFlight(t)
	layouts := map[string][]byte{
		"one record":          records(ContentHandshake, msgs),
		"split across":        records(ContentHandshake, msgs, 3, 50, 7, 100),
		"record per byte-ish": records(ContentHandshake, msgs, slices.Repeat([]int{9}, len(msgs)/9)...),
	}
	for name, stream := range layouts {
		stream = append(stream, records(ContentChangeCipherSpec, []byte{1})...)
		f, err := ParseServerFlight(stream)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sh := f.ServerHello
		if sh.CipherSuite != 0xc02b || sh.ALPN != "h2" || sh.SelectedVersion != VersionTLS12 || sh.HelloRetryRequest {
			t.Errorf("%s: ServerHello %+v", name, sh)
		}
		if got := sh.JA3S(); got != (JA3{"771,49195,65281-16-11", md5hex("771,49195,65281-16-11")}) {
			t.Errorf("%s: JA3S %+v", name, got)
		}
		if !slices.Equal(f.MessageTypes, []uint8{2, 11, 14}) || len(f.Chain) != 2 || !bytes.Equal(f.Chain[0], leaf) {
			t.Errorf("%s: types %v chain %d", name, f.MessageTypes, len(f.Chain))
		}
		if f.Leaf == nil || f.Leaf.Subject != "CN=crafted.example" || f.Leaf.Serial != "2A" || !f.Leaf.SelfSigned {
			t.Errorf("%s: leaf %+v", name, f.Leaf)
		}
	}
}

func TestHelloRetryRequestCrafted(t *testing.T) {
	hrr := serverHello(VersionTLS12, helloRetryRandom, 0x1301, extVersions2(VersionTLS13), ext(ExtKeyShare, u16b(0x0017)))
	sh := serverHello(VersionTLS12, bytes.Repeat([]byte{7}, 32), 0x1301, extVersions2(VersionTLS13), ext(ExtKeyShare, u16b(0x0017), vec(2, make([]byte, 65))))
	stream := bytes.Join([][]byte{
		records(ContentHandshake, hrr),
		records(ContentChangeCipherSpec, []byte{1}),
		records(ContentHandshake, sh),
		records(ContentApplicationData, make([]byte, 40)),
	}, nil)
	f, err := ParseServerFlight(stream)
	if err != nil {
		t.Fatal(err)
	}
	if f.HelloRetryRequest == nil || !f.HelloRetryRequest.HelloRetryRequest || f.HelloRetryRequest.KeyShareGroup != 0x0017 {
		t.Errorf("HRR %+v", f.HelloRetryRequest)
	}
	if f.ServerHello == nil || f.ServerHello.HelloRetryRequest || f.ServerHello.SelectedVersion != VersionTLS13 || f.ServerHello.Random[0] != 7 {
		t.Errorf("ServerHello %+v", f.ServerHello)
	}
	if got := f.HelloRetryRequest.JA3S().Full; got != "771,4865,43-51" {
		t.Errorf("HRR JA3S %q", got)
	}
	// Only the HRR captured: more bytes are needed.
	f, err = ParseServerFlight(records(ContentHandshake, hrr))
	if !errors.Is(err, ErrTruncated) || f.HelloRetryRequest == nil || f.ServerHello != nil {
		t.Errorf("HRR alone: %v %+v", err, f)
	}
}

func extVersions2(v uint16) []byte { return ext(ExtSupportedVersions, u16b(v)) }

func TestDraftServerHello(t *testing.T) {
	// TLS 1.3 draft 18: version in the hello, no session id or compression.
	body := bytes.Join([][]byte{u16b(0x7f12), make([]byte, 32), u16b(0x1301), vec(2, ext(0x0028, u16b(0x001d), vec(2, make([]byte, 32))))}, nil)
	f, err := ParseServerFlight(records(ContentHandshake, hsMsg(typeServerHello, body)))
	if err != nil {
		t.Fatal(err)
	}
	if sh := f.ServerHello; sh.CipherSuite != 0x1301 || sh.SelectedVersion != 0x7f12 || len(sh.Extensions) != 1 {
		t.Errorf("%+v", sh)
	}
	if VersionName(0x7f12) != "TLS 1.3 draft-18" {
		t.Error(VersionName(0x7f12))
	}
}

func TestSSLv2ClientHello(t *testing.T) {
	specs := []uint32{0x010080, 0x0700c0, 0x000039, 0x00002f, 0x0000ff}
	var sb []byte
	for _, s := range specs {
		sb = append(sb, byte(s>>16), byte(s>>8), byte(s))
	}
	challenge := bytes.Repeat([]byte{0xcc}, 16)
	body := bytes.Join([][]byte{{1}, u16b(VersionTLS10), u16b(uint16(len(sb))), u16b(0), u16b(16), sb, challenge}, nil)
	stream := append([]byte{0x80 | byte(len(body)>>8), byte(len(body))}, body...)
	ch, err := ParseClientHello(stream)
	if err != nil {
		t.Fatal(err)
	}
	if !ch.SSLv2 || ch.RecordVersion != VersionSSL20 || ch.Version != VersionTLS10 || !slices.Equal(ch.CipherSpecsV2, specs) ||
		!slices.Equal(ch.CipherSuites, []uint16{0x39, 0x2f, 0xff}) || !bytes.Equal(ch.Challenge, challenge) || len(ch.SessionID) != 0 {
		t.Errorf("%+v", ch)
	}
	if got := ch.JA3(); got != (JA3{"769,57-47-255,,,", "98216a28a2fe7f6b5bc3f78b698bf862"}) {
		t.Errorf("JA3 %+v", got)
	}
	if got := ch.JA4(TransportTCP).JA4R; got != "t10i030000_002f,0039,00ff_" {
		t.Errorf("JA4_r %q", got)
	}
	if Sniff(stream) != SniffTLS {
		t.Error("Sniff")
	}
	for i := range stream {
		ch, err := ParseClientHello(stream[:i])
		if !errors.Is(err, ErrTruncated) || (ch != nil && !ch.Truncated) {
			t.Fatalf("cut at %d: %v", i, err)
		}
	}
	bad := slices.Clone(stream)
	bad[6] = 4 // cipher specs length not a multiple of 3
	if _, err := ParseClientHello(bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("bad spec length: %v", err)
	}
}

func TestSSLv2ServerHello(t *testing.T) {
	testKeys(t)
	cert := makeCert(t, ecKey, pkixName("v2.example"), bigInt(3), nil, nil, nil).der
	body := bytes.Join([][]byte{{4, 0, 1}, u16b(VersionSSL20), u16b(uint16(len(cert))), u16b(3), u16b(16), cert, {0x01, 0x00, 0x80}, make([]byte, 16)}, nil)
	stream := append([]byte{0x80 | byte(len(body)>>8), byte(len(body))}, body...)
	f, err := ParseServerFlight(stream)
	if err != nil {
		t.Fatal(err)
	}
	if !f.ServerHello.SSLv2 || !slices.Equal(f.ServerHello.CipherSpecsV2, []uint32{0x010080}) || f.Leaf == nil || f.Leaf.Subject != "CN=v2.example" {
		t.Errorf("%+v", f)
	}
	if f.ServerHello.JA3S() != (JA3{}) {
		t.Error("JA3S for SSLv2")
	}
	for i := range stream {
		if _, err := ParseServerFlight(stream[:i]); !errors.Is(err, ErrTruncated) {
			t.Fatalf("cut at %d: %v", i, err)
		}
	}
}

// TestTruncatedEveryOffset cuts handcrafted streams at every byte.
func TestTruncatedEveryOffset(t *testing.T) {
	client := records(ContentHandshake, greaseHello(), 7, 30, 2)
	for i := range client {
		ch, err := ParseClientHello(client[:i])
		if !errors.Is(err, ErrTruncated) {
			t.Fatalf("client cut at %d: %v", i, err)
		}
		if ch != nil {
			ch.JA3()
			ch.JA4(TransportTCP)
			if !ch.Truncated {
				t.Fatalf("client cut at %d: Truncated not set", i)
			}
		}
	}
	msgs, _ := craftedFlight(t)
	server := records(ContentHandshake, msgs, 40, 3, 200)
	for i := range server {
		f, err := ParseServerFlight(server[:i])
		if !errors.Is(err, ErrTruncated) {
			t.Fatalf("server cut at %d: %v", i, err)
		}
		if f != nil && f.ServerHello != nil {
			f.ServerHello.JA3S()
		}
	}
}

func TestErrors(t *testing.T) {
	hello := records(ContentHandshake, greaseHello())
	msgs, _ := craftedFlight(t)
	cases := []struct {
		name   string
		stream []byte
		server bool
		want   error
	}{
		{"empty", nil, false, ErrTruncated},
		{"http", []byte("GET / HTTP/1.1\r\n"), false, ErrNotTLS},
		{"bad version", []byte{22, 2, 0, 0, 5, 1, 0, 0, 1, 0}, false, ErrNotTLS},
		{"record too long", []byte{22, 3, 1, 0x50, 0, 1}, false, ErrNotTLS},
		{"high bit not sslv2", []byte{0x80, 10, 7, 0, 2, 0, 0}, false, ErrNotTLS},
		{"alert first", records(ContentAlert, []byte{2, 40}), false, ErrNoHello},
		{"server hello to client parser", records(ContentHandshake, msgs), false, ErrNoHello},
		{"client hello to server parser", hello, true, ErrNoHello},
		{"hello cut by alert", append(records(ContentHandshake, greaseHello()[:50]), records(ContentAlert, []byte{2, 40})...), false, ErrMalformed},
		{"garbage after first record", append(records(ContentHandshake, greaseHello()[:50]), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), false, ErrMalformed},
		{"session id overruns", records(ContentHandshake, hsMsg(1, append(u16b(VersionTLS12), append(make([]byte, 32), 40)...))), false, ErrMalformed},
	}
	for _, tc := range cases {
		var err error
		if tc.server {
			_, err = ParseServerFlight(tc.stream)
		} else {
			_, err = ParseClientHello(tc.stream)
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// A server that refuses the ClientHello answers with an alert: no
	// hello, and nothing wrong with the stream.
	f, err := ParseServerFlight(records(ContentAlert, []byte{2, 40}))
	if err != nil || f == nil || f.Alert == nil || *f.Alert != (Alert{2, 40}) || f.ServerHello != nil {
		t.Errorf("alert flight: %v %+v", err, f)
	}
	f, err = ParseServerFlight(records(ContentChangeCipherSpec, []byte{1}))
	if !errors.Is(err, ErrNoHello) || f == nil || f.Alert != nil {
		t.Errorf("flight opening with a ChangeCipherSpec: %v %+v", err, f)
	}
}

func TestNextRecordAndVersionName(t *testing.T) {
	stream := append(records(ContentHandshake, []byte{1, 2, 3}), 23, 3, 3, 0, 9, 1)
	rec, rest, err := NextRecord(stream)
	if err != nil || rec.Type != ContentHandshake || rec.Version != VersionTLS10 || rec.Length != 3 || len(rest) != 6 {
		t.Fatalf("%+v %v", rec, err)
	}
	rec, rest, err = NextRecord(rest)
	if !errors.Is(err, ErrTruncated) || rec.Length != 9 || len(rec.Fragment) != 1 || rest != nil || rec.Type.String() != "application_data" {
		t.Fatalf("%+v %v", rec, err)
	}
	names := map[uint16]string{0: "UNDETERMINED", 2: "SSLv2", 0x300: "SSLv3", 0x301: "TLSv1", 0x302: "TLS 1.1", 0x303: "TLS 1.2", 0x304: "TLS 1.3", 0x7f1c: "TLS 1.3 draft-28", 0xfefd: "0xfefd"}
	for v, want := range names {
		if got := VersionName(v); got != want {
			t.Errorf("VersionName(%04x) = %q, want %q", v, got, want)
		}
	}
}
