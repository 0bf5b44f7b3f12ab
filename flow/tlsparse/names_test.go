package tlsparse

import (
	"bytes"
	"crypto/tls"
	"testing"
)

// TestCipherSuiteName: the suites the sensor printed as hex before
// (issue 18) have their IANA names; the table is sorted and agrees with
// crypto/tls on every suite Go knows; GREASE and unassigned values stay
// hex.
func TestCipherSuiteName(t *testing.T) {
	for id, want := range map[uint16]string{
		0x0004: "TLS_RSA_WITH_RC4_128_MD5",
		0x0039: "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
		0x0088: "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA",
		0x009F: "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
		0xC028: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
		0x0045: "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA",
		0x1301: "TLS_AES_128_GCM_SHA256",
		0x00FF: "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
		0x5600: "TLS_FALLBACK_SCSV",
		0xCCA9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
		0xC106: "TLS_GOSTR341112_256_WITH_MAGMA_MGM_S",
		0x0A0A: "0x0A0A", // GREASE
		0xCC13: "0xCC13", // a pre-standard ChaCha20 suite, never registered
		0xFF85: "0xFF85", // private use
	} {
		if got := CipherSuiteName(id); got != want {
			t.Errorf("%04x: %q, want %q", id, got, want)
		}
		if assigned := want[:2] != "0x"; CipherSuiteAssigned(id) != assigned {
			t.Errorf("%04x: assigned %v, want %v", id, !assigned, assigned)
		}
	}
	for i := 1; i < len(cipherSuites); i++ {
		if cipherSuites[i-1].id >= cipherSuites[i].id {
			t.Fatalf("table not sorted at %04x", cipherSuites[i].id)
		}
	}
	for _, list := range [][]*tls.CipherSuite{tls.CipherSuites(), tls.InsecureCipherSuites()} {
		for _, c := range list {
			if got := CipherSuiteName(c.ID); got != c.Name {
				t.Errorf("%04x: %q, crypto/tls says %q", c.ID, got, c.Name)
			}
		}
	}
}

// TestAssignedSuitesAgree: the bit set says of every one of the 65,536
// values what the registry's table says.
func TestAssignedSuitesAgree(t *testing.T) {
	inTable := map[uint16]bool{}
	for _, c := range cipherSuites {
		inTable[c.id] = true
	}
	for v := range 1 << 16 {
		id := uint16(v)
		if CipherSuiteAssigned(id) != inTable[id] {
			t.Fatalf("%04x: assigned %v, the table says %v", id, CipherSuiteAssigned(id), inTable[id])
		}
	}
}

func TestAlertString(t *testing.T) {
	for a, want := range map[Alert]string{
		{2, 40}:  "fatal: handshake_failure",
		{2, 70}:  "fatal: protocol_version",
		{1, 112}: "warning: unrecognized_name",
		{1, 0}:   "warning: close_notify",
		{2, 200}: "fatal: 200",
		{7, 48}:  "level 7: unknown_ca",
	} {
		if got := a.String(); got != want {
			t.Errorf("%+v: %q, want %q", a, got, want)
		}
	}
}

// TestVersionNames: Suricata's labels, drafts included.
func TestVersionNames(t *testing.T) {
	for v, want := range map[uint16]string{
		0: "UNDETERMINED", 2: "SSLv2", 0x300: "SSLv3", 0x301: "TLSv1", 0x302: "TLS 1.1", 0x303: "TLS 1.2", 0x304: "TLS 1.3",
		0x7f1c: "TLS 1.3 draft-28", 0x7f16: "TLS 1.3 draft-22", 0x7f10: "TLS 1.3 draft-16",
		0x7f0e: "TLS 1.3 draft-<16", 0x7f01: "TLS 1.3 draft-<16",
		0xfb17: "TLS 1.3 draft-23-fb", 0xfb1a: "TLS 1.3 draft-26-fb",
		0x7f00: "0x7f00", 0x7e01: "0x7e01", 0xfefd: "0xfefd",
	} {
		if got := VersionName(v); got != want {
			t.Errorf("%04x: %q, want %q", v, got, want)
		}
	}
}

// TestHandshakeVersion: the server's choice first; without it the
// client's highest offer, drafts above TLS 1.2; a legacy version field of
// 0x0304 is a draft before 16, as Suricata reads it.
func TestHandshakeVersion(t *testing.T) {
	hello := func(legacy uint16, offered ...uint16) []byte {
		var exts [][]byte
		if offered != nil {
			exts = append(exts, extVersions(offered...))
		} else {
			exts = [][]byte{}
		}
		return records(ContentHandshake, clientHello(legacy, []uint16{0x1301}, exts))
	}
	cases := []struct {
		name   string
		client []byte
		server []byte
		want   string
	}{
		{"draft-14 and 1.2 offered", hello(0x0303, 0x0a0a, 0x7f0e, 0x0303), nil, "TLS 1.3 draft-<16"},
		{"draft-16 offered", hello(0x0303, 0x7f10, 0x0303, 0x0302), nil, "TLS 1.3 draft-16"},
		{"1.3 and drafts offered", hello(0x0303, 0x7f1c, 0x0304, 0x7f17), nil, "TLS 1.3"},
		{"legacy field 1.3", hello(0x0304), nil, "TLS 1.3 draft-<16"},
		{"1.2 only", hello(0x0303), nil, "TLS 1.2"},
		{"server picks 1.2", hello(0x0303, 0x0304, 0x0303), records(ContentHandshake, serverHello(0x0303, nil, 0xc02f)), "TLS 1.2"},
		{"server draft-18", hello(0x0303, 0x7f12), records(ContentHandshake, hsMsg(typeServerHello, bytes.Join([][]byte{u16b(0x7f12), make([]byte, 32), u16b(0x1301), vec(2)}, nil))), "TLS 1.3 draft-18"},
		{"server legacy 1.3 (draft before 16)", hello(0x0304), records(ContentHandshake, hsMsg(typeServerHello, bytes.Join([][]byte{u16b(0x0304), make([]byte, 32), u16b(0xc02b), vec(2)}, nil))), "TLS 1.3 draft-<16"},
		{"server 1.3 by extension", hello(0x0303, 0x0304), records(ContentHandshake, serverHello(0x0303, nil, 0x1301, extVersions2(0x0304))), "TLS 1.3"},
	}
	for _, tc := range cases {
		h := ParseFlow(tc.client, tc.server, nil, nil, nil)
		if got := h.VersionName(); got != tc.want {
			t.Errorf("%s: %q, want %q (client %v, server %v)", tc.name, got, tc.want, h.ClientErr, h.ServerErr)
		}
	}
}

// TestResumedCrafted: TLS 1.2 resumption by session id, by ticket
// (with and without a session id to echo), and what is not resumption.
func TestResumedCrafted(t *testing.T) {
	sid := bytes.Repeat([]byte{0x42}, 32)
	ch := func(sid []byte, ticket []byte) []byte {
		exts := [][]byte{extSNI("r.example")}
		if ticket != nil {
			exts = append(exts, ext(ExtSessionTicket, ticket))
		}
		body := bytes.Join([][]byte{u16b(0x0303), make([]byte, 32), vec(1, sid), vec(2, u16list(0xc02f)), vec(1, []byte{0}), vec(2, exts...)}, nil)
		return records(ContentHandshake, hsMsg(typeClientHello, body))
	}
	sh := func(sid []byte, more ...[]byte) []byte {
		body := bytes.Join([][]byte{u16b(0x0303), make([]byte, 32), vec(1, sid), u16b(0xc02f), {0}}, nil)
		msgs := append([][]byte{hsMsg(typeServerHello, body)}, more...)
		return records(ContentHandshake, bytes.Join(msgs, nil))
	}
	ccs := records(ContentChangeCipherSpec, []byte{1})
	cert := hsMsg(typeCertificate, vec(3))
	done := hsMsg(typeServerHelloDone, nil)
	other := bytes.Repeat([]byte{0x77}, 32)
	cases := []struct {
		name           string
		client, server []byte
		want           bool
	}{
		{"session id echoed", ch(sid, nil), append(sh(sid), ccs...), true},
		{"ticket accepted, id echoed", ch(sid, []byte{1, 2, 3}), append(sh(sid), ccs...), true},
		{"ticket accepted, no id", ch(nil, []byte{1, 2, 3}), append(sh(nil), ccs...), true},
		{"ticket accepted, new ticket", ch(nil, []byte{1, 2, 3}), append(sh(nil, hsMsg(4, []byte{0, 0, 0, 1, 0, 0})), ccs...), true},
		{"full handshake, new id", ch(sid, nil), sh(other, cert, done), false},
		{"ticket refused: full handshake", ch(nil, []byte{1, 2, 3}), sh(other, cert, done), false},
		{"empty ticket extension", ch(nil, []byte{}), append(sh(nil), ccs...), false},
		{"ticket offered, capture stops after the hello", ch(nil, []byte{1, 2, 3}), sh(nil), false},
	}
	for _, tc := range cases {
		h := ParseFlow(tc.client, tc.server, nil, nil, nil)
		if got := h.Resumed(); got != tc.want {
			t.Errorf("%s: resumed %v, want %v (%v %v)", tc.name, got, tc.want, h.ClientErr, h.ServerErr)
		}
	}
}

// TestRegistryNames: groups, signature schemes and extensions carry their
// registry names, every value crypto/tls defines among them; GREASE is
// named so; private-use ranges say so; values no registry names stay "".
func TestRegistryNames(t *testing.T) {
	cases := []struct {
		name func(uint16) string
		v    uint16
		want string
	}{
		{GroupName, 0x001d, "x25519"},
		{GroupName, 0x11ec, "X25519MLKEM768"},
		{GroupName, 0x6399, "X25519Kyber768Draft00"},
		{GroupName, 0x0100, "ffdhe2048"},
		{GroupName, 0x0a0a, "GREASE"},
		{GroupName, 0xfe12, "ecdhe_private_use"},
		{GroupName, 0x01fd, "ffdhe_private_use"},
		{GroupName, 0x3e85, ""},
		{SignatureSchemeName, 0x0804, "rsa_pss_rsae_sha256"},
		{SignatureSchemeName, 0x0905, "mldsa65"},
		{SignatureSchemeName, 0x0402, "dsa_sha256"}, // a TLS 1.2 pair the scheme registry left out
		{SignatureSchemeName, 0x0101, "rsa_md5"},
		{SignatureSchemeName, 0xfafa, "GREASE"},
		{SignatureSchemeName, 0xfe80, "private_use"},
		{SignatureSchemeName, 0x3e85, ""},
		{SignatureSchemeName, 0x0104, ""},
		{ExtensionName, ExtKeyShare, "key_share"},
		{ExtensionName, ExtEncryptedClientHello, "encrypted_client_hello"},
		{ExtensionName, ExtQUICTransportParametersDraft, "quic_transport_parameters (QUIC drafts)"},
		{ExtensionName, 0x44cd, "application_settings (ALPS, unregistered)"},
		{ExtensionName, 0x2a2a, "GREASE"},
		{ExtensionName, 0x1234, ""},
	}
	for _, c := range cases {
		if got := c.name(c.v); got != c.want {
			t.Errorf("%#04x: %q, want %q", c.v, got, c.want)
		}
	}
	for _, g := range []tls.CurveID{tls.CurveP256, tls.CurveP384, tls.CurveP521, tls.X25519, tls.X25519MLKEM768, tls.SecP256r1MLKEM768, tls.SecP384r1MLKEM1024} {
		if GroupName(uint16(g)) == "" {
			t.Errorf("group %v (%d) unnamed", g, g)
		}
	}
	for _, s := range []tls.SignatureScheme{tls.PKCS1WithSHA256, tls.PKCS1WithSHA384, tls.PKCS1WithSHA512, tls.PSSWithSHA256,
		tls.PSSWithSHA384, tls.PSSWithSHA512, tls.ECDSAWithP256AndSHA256, tls.ECDSAWithP384AndSHA384, tls.ECDSAWithP521AndSHA512,
		tls.Ed25519, tls.PKCS1WithSHA1, tls.ECDSAWithSHA1} {
		if SignatureSchemeName(uint16(s)) == "" {
			t.Errorf("signature scheme %v unnamed", s)
		}
	}
	for _, e := range []uint16{ExtServerName, ExtStatusRequest, ExtSupportedGroups, ExtECPointFormats, ExtSignatureAlgorithms, ExtALPN,
		ExtPadding, ExtSessionTicket, ExtPreSharedKey, ExtEarlyData, ExtSupportedVersions, ExtPSKKeyExchangeModes, ExtKeyShare,
		ExtEncryptedClientHello, ExtRenegotiationInfo, ExtQUICTransportParameters} {
		if ExtensionName(e) == "" {
			t.Errorf("extension %#04x unnamed", e)
		}
	}
}
