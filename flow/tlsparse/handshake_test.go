package tlsparse

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// TestRealHandshakes parses handshakes produced by crypto/tls and checks the
// parsed fields against the configurations that produced them.
func TestRealHandshakes(t *testing.T) {
	testKeys(t)
	leafName := pkix.Name{Country: []string{"DE"}, Organization: []string{"tlsentry test"}, CommonName: "leaf.example.test"}
	ecSelf := makeCert(t, ecKey, leafName, big.NewInt(0x8a1234567890),
		[]string{"leaf.example.test", "alt.example.test"}, []net.IP{net.ParseIP("192.0.2.7"), net.ParseIP("2001:db8::1")}, nil)
	ca := makeCert(t, caKey, pkix.Name{Organization: []string{"tlsentry CA"}, CommonName: "tlsentry test CA"}, big.NewInt(1), nil, nil, nil)
	rsaLeaf := makeCert(t, rsaKey, pkix.Name{CommonName: "rsa.example.test", OrganizationalUnit: []string{"ops", "sec"}}, big.NewInt(0x0102), []string{"rsa.example.test"}, nil, ca)
	edSelf := makeCert(t, edKey, pkix.Name{CommonName: "ed.example.test"}, big.NewInt(77), []string{"ed.example.test"}, nil, nil)

	groups := []tls.CurveID{tls.X25519, tls.CurveP256}
	type want struct {
		hasSNI, tls13          bool
		alpn                   string
		chainLen               int
		leaf                   *testCert
		subject, issuer        string
		serial, key            string
		selfSigned, selfIssued bool
		hrr                    bool
		ciphers                []uint16 // exact set offered, when set
	}
	cases := []struct {
		name   string
		client *tls.Config
		server *tls.Config
		want   want
	}{
		{
			name: "tls12 ecdsa self-signed sni alpn",
			client: &tls.Config{MaxVersion: tls.VersionTLS12, ServerName: "leaf.example.test", NextProtos: []string{"h2", "http/1.1"},
				CipherSuites:     []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305},
				CurvePreferences: groups, InsecureSkipVerify: true},
			server: &tls.Config{Certificates: []tls.Certificate{ecSelf.tls}, NextProtos: []string{"http/1.1"}},
			want: want{hasSNI: true, alpn: "http/1.1", chainLen: 1, leaf: ecSelf,
				subject: "C=DE, O=tlsentry test, CN=leaf.example.test", issuer: "C=DE, O=tlsentry test, CN=leaf.example.test",
				serial: "00:8A:12:34:56:78:90", key: "ECDSA-P256", selfSigned: true, selfIssued: true,
				ciphers: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305}},
		},
		{
			name:   "tls12 rsa chain no sni",
			client: &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}, CurvePreferences: groups, InsecureSkipVerify: true},
			server: &tls.Config{Certificates: []tls.Certificate{rsaLeaf.tls}},
			want: want{chainLen: 2, leaf: rsaLeaf, subject: "OU=ops + OU=sec, CN=rsa.example.test", issuer: "O=tlsentry CA, CN=tlsentry test CA",
				serial: "01:02", key: "RSA-2048", ciphers: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}},
		},
		{
			name:   "tls12 ed25519",
			client: &tls.Config{MaxVersion: tls.VersionTLS12, ServerName: "ed.example.test", CurvePreferences: groups, InsecureSkipVerify: true},
			server: &tls.Config{Certificates: []tls.Certificate{edSelf.tls}},
			want: want{hasSNI: true, chainLen: 1, leaf: edSelf, subject: "CN=ed.example.test", issuer: "CN=ed.example.test",
				serial: "4D", key: "Ed25519", selfSigned: true, selfIssued: true},
		},
		{
			name:   "tls13 alpn",
			client: &tls.Config{ServerName: "leaf.example.test", NextProtos: []string{"h2"}, CurvePreferences: groups, InsecureSkipVerify: true},
			server: &tls.Config{Certificates: []tls.Certificate{ecSelf.tls}, NextProtos: []string{"h2"}},
			want:   want{hasSNI: true, tls13: true, alpn: "h2"},
		},
		{
			name:   "tls13 hello retry request",
			client: &tls.Config{ServerName: "rsa.example.test", CurvePreferences: groups, InsecureSkipVerify: true},
			server: &tls.Config{Certificates: []tls.Certificate{rsaLeaf.tls}, CurvePreferences: []tls.CurveID{tls.CurveP256}},
			want:   want{hasSNI: true, tls13: true, hrr: true},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := capture(t, tc.client, tc.server)
			if h.clientErr != nil || h.serverErr != nil {
				t.Fatalf("handshake: client %v, server %v", h.clientErr, h.serverErr)
			}
			ch, err := ParseClientHello(h.client)
			if err != nil {
				t.Fatalf("ParseClientHello: %v", err)
			}
			checkClientHello(t, ch, tc.client, tc.want.tls13)
			if tc.want.hasSNI != ch.HasExtension(ExtServerName) || ch.ServerName != tc.client.ServerName {
				t.Errorf("SNI: ext %v name %q, want %q", ch.HasExtension(ExtServerName), ch.ServerName, tc.client.ServerName)
			}
			if tc.want.ciphers != nil && !sameSet(ch.CipherSuites, tc.want.ciphers) {
				t.Errorf("ciphers %04x, want %04x", ch.CipherSuites, tc.want.ciphers)
			}
			ja4 := ch.JA4(TransportTCP)
			wantA := "t12"
			if tc.want.tls13 {
				wantA = "t13"
			}
			if tc.want.hasSNI {
				wantA += "d"
			} else {
				wantA += "i"
			}
			if !strings.HasPrefix(ja4.JA4, wantA) || len(ja4.JA4) != 36 {
				t.Errorf("JA4 %q, want prefix %q and length 36", ja4.JA4, wantA)
			}
			if ja3 := ch.JA3(); strings.Count(ja3.Full, ",") != 4 || !strings.HasPrefix(ja3.Full, "771,") || len(ja3.Hash) != 32 {
				t.Errorf("JA3 %+v", ja3)
			}

			f, err := ParseServerFlight(h.server)
			if err != nil {
				t.Fatalf("ParseServerFlight: %v", err)
			}
			sh := f.ServerHello
			if sh == nil {
				t.Fatal("no ServerHello")
			}
			if (f.HelloRetryRequest != nil) != tc.want.hrr {
				t.Errorf("HelloRetryRequest %v, want %v", f.HelloRetryRequest != nil, tc.want.hrr)
			}
			if tc.want.hrr {
				hrr := f.HelloRetryRequest
				if !hrr.HelloRetryRequest || hrr.SelectedVersion != VersionTLS13 || hrr.KeyShareGroup != uint16(tls.CurveP256) {
					t.Errorf("HRR %+v", hrr)
				}
				if !slices.Equal(ch.KeyShareGroups, []uint16{uint16(tls.X25519)}) {
					t.Errorf("first ClientHello key shares %v", ch.KeyShareGroups)
				}
				if sh.KeyShareGroup != uint16(tls.CurveP256) {
					t.Errorf("ServerHello key share %d after HRR", sh.KeyShareGroup)
				}
				// crypto/tls sends a ChangeCipherSpec record between the two.
				if !slices.Equal(f.MessageTypes, []uint8{2, 2}) {
					t.Errorf("message types %v", f.MessageTypes)
				}
			}
			if sh.HelloRetryRequest {
				t.Error("ServerHello marked as HelloRetryRequest")
			}
			if sh.Version != VersionTLS12 || sh.SelectedVersion != h.state.Version {
				t.Errorf("versions %04x/%04x, want 0303/%04x", sh.Version, sh.SelectedVersion, h.state.Version)
			}
			// TLS 1.3 sends ALPN in EncryptedExtensions, out of sight.
			wantALPN := h.state.NegotiatedProtocol
			if tc.want.tls13 {
				wantALPN = ""
			}
			if h.state.NegotiatedProtocol != tc.want.alpn || sh.CipherSuite != h.state.CipherSuite || sh.ALPN != wantALPN {
				t.Errorf("cipher %04x alpn %q, want %04x %q", sh.CipherSuite, sh.ALPN, h.state.CipherSuite, wantALPN)
			}
			if ja3s := sh.JA3S(); !strings.HasPrefix(ja3s.Full, "771,") || len(ja3s.Hash) != 32 {
				t.Errorf("JA3S %+v", ja3s)
			}
			if len(f.Chain) != tc.want.chainLen {
				t.Fatalf("chain length %d, want %d", len(f.Chain), tc.want.chainLen)
			}
			if tc.want.tls13 {
				if f.Leaf != nil || !slices.Equal(f.MessageTypes, []uint8{2}) && !tc.want.hrr {
					t.Errorf("TLS 1.3 flight: leaf %v, messages %v", f.Leaf, f.MessageTypes)
				}
				return
			}
			if !slices.Equal(f.MessageTypes, []uint8{2, 11, 12, 14}) {
				t.Errorf("message types %v", f.MessageTypes)
			}
			checkLeaf(t, f.Leaf, tc.want.leaf, tc.want.subject, tc.want.issuer, tc.want.serial, tc.want.key, tc.want.selfIssued, tc.want.selfSigned)
			for i, der := range tc.want.leaf.tls.Certificate {
				if !bytes.Equal(f.Chain[i], der) {
					t.Errorf("chain[%d] differs", i)
				}
			}
		})
	}
}

func checkClientHello(t *testing.T, ch *ClientHello, cfg *tls.Config, tls13 bool) {
	t.Helper()
	if ch.SSLv2 || ch.Truncated || ch.RecordVersion != VersionTLS10 || ch.Version != VersionTLS12 || len(ch.Random) != 32 {
		t.Errorf("header fields: sslv2 %v trunc %v record %04x version %04x random %d", ch.SSLv2, ch.Truncated, ch.RecordVersion, ch.Version, len(ch.Random))
	}
	if !slices.Equal(ch.CompressionMethods, []uint8{0}) || !slices.Equal(ch.ECPointFormats, []uint8{0}) {
		t.Errorf("compression %v, point formats %v", ch.CompressionMethods, ch.ECPointFormats)
	}
	var wantGroups []uint16
	for _, g := range cfg.CurvePreferences {
		wantGroups = append(wantGroups, uint16(g))
	}
	if !slices.Equal(ch.SupportedGroups, wantGroups) {
		t.Errorf("groups %v, want %v", ch.SupportedGroups, wantGroups)
	}
	if !slices.Equal(ch.ALPN, cfg.NextProtos) {
		t.Errorf("ALPN %q, want %q", ch.ALPN, cfg.NextProtos)
	}
	if len(ch.SignatureAlgorithms) == 0 || ch.SessionTicket != (cfg.ClientSessionCache != nil) {
		t.Errorf("sigalgs %v, session ticket %v", ch.SignatureAlgorithms, ch.SessionTicket)
	}
	if len(ch.SessionID) != 32 {
		t.Errorf("session id length %d", len(ch.SessionID))
	}
	if tls13 {
		if !slices.Equal(ch.SupportedVersions, []uint16{VersionTLS13, VersionTLS12}) || !slices.Equal(ch.KeyShareGroups, []uint16{uint16(cfg.CurvePreferences[0])}) {
			t.Errorf("TLS 1.3 hello: versions %04x key shares %v", ch.SupportedVersions, ch.KeyShareGroups)
		}
	} else if !slices.Equal(ch.SupportedVersions, []uint16{VersionTLS12}) || ch.KeyShareGroups != nil {
		t.Errorf("TLS 1.2 hello: versions %04x key shares %v", ch.SupportedVersions, ch.KeyShareGroups)
	}
	if ch.PreSharedKey || ch.EarlyData || len(ch.GREASE) != 0 {
		t.Errorf("psk %v early %v grease %v", ch.PreSharedKey, ch.EarlyData, ch.GREASE)
	}
	for i, e := range ch.Extensions {
		if i > 0 && e.Type == ExtPreSharedKey {
			t.Error("pre_shared_key not last")
		}
	}
}

func checkLeaf(t *testing.T, c *Certificate, tc *testCert, subject, issuer, serial, key string, selfIssued, selfSigned bool) {
	t.Helper()
	if c == nil {
		t.Fatal("no leaf")
	}
	sum := sha256.Sum256(tc.der)
	if c.CertError != "" {
		t.Errorf("CertError %q", c.CertError)
	}
	if c.Subject != subject || c.Issuer != issuer || c.Serial != serial || c.PublicKey != key {
		t.Errorf("leaf: subject %q issuer %q serial %q key %q\nwant: subject %q issuer %q serial %q key %q",
			c.Subject, c.Issuer, c.Serial, c.PublicKey, subject, issuer, serial, key)
	}
	if !c.NotBefore.Equal(tc.tmpl.NotBefore) || !c.NotAfter.Equal(tc.tmpl.NotAfter) {
		t.Errorf("validity %v - %v", c.NotBefore, c.NotAfter)
	}
	if !slices.Equal(c.DNSNames, tc.tmpl.DNSNames) || len(c.IPAddresses) != len(tc.tmpl.IPAddresses) {
		t.Errorf("SANs %v %v", c.DNSNames, c.IPAddresses)
	}
	for i, ip := range tc.tmpl.IPAddresses {
		if want, _ := netip.AddrFromSlice(ip); c.IPAddresses[i] != want.Unmap() {
			t.Errorf("IP %d: %v, want %v", i, c.IPAddresses[i], want)
		}
	}
	if c.SelfIssued != selfIssued || c.SelfSigned != selfSigned {
		t.Errorf("self-issued %v self-signed %v", c.SelfIssued, c.SelfSigned)
	}
	if c.SHA256Fingerprint != colonHex(sum[:], false) || len(c.SHA256Fingerprint) != 95 || strings.ToLower(c.SHA256Fingerprint) != c.SHA256Fingerprint {
		t.Errorf("fingerprint %q", c.SHA256Fingerprint)
	}
	if !bytes.Equal(c.Raw, tc.der) {
		t.Error("Raw differs from the DER")
	}
}

func sameSet(a, b []uint16) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestResumptionFlight: an abbreviated TLS 1.2 handshake ends its cleartext
// flight with ChangeCipherSpec, without a certificate.
func TestResumptionFlight(t *testing.T) {
	testKeys(t)
	cert := makeCert(t, ecKey, pkix.Name{CommonName: "resume.example.test"}, big.NewInt(5), nil, nil, nil)
	client := &tls.Config{MaxVersion: tls.VersionTLS12, ServerName: "resume.example.test", InsecureSkipVerify: true,
		ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	server := &tls.Config{Certificates: []tls.Certificate{cert.tls}}
	first := capture(t, client, server)
	second := capture(t, client, server)
	if first.clientErr != nil || second.clientErr != nil || !second.state.DidResume {
		t.Fatalf("handshakes: %v %v resumed=%v", first.clientErr, second.clientErr, second.state.DidResume)
	}
	ch, err := ParseClientHello(second.client)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ch.Extensions {
		if e.Type == ExtSessionTicket && len(e.Data) == 0 {
			t.Error("resuming hello has an empty session ticket")
		}
	}
	f, err := ParseServerFlight(second.server)
	if err != nil {
		t.Fatalf("ParseServerFlight: %v", err)
	}
	if f.Truncated || f.Chain != nil || f.Leaf != nil || f.MessageTypes[0] != typeServerHello {
		t.Errorf("resumed flight: %+v", f)
	}
	if slices.Contains(f.MessageTypes, typeCertificate) {
		t.Errorf("certificate in a resumed flight: %v", f.MessageTypes)
	}
}

// TestRealHandshakeTruncation cuts real client and server streams at every
// offset: the parsers must report truncation (never panic, never succeed
// early) and keep what they parsed.
func TestRealHandshakeTruncation(t *testing.T) {
	testKeys(t)
	cert := makeCert(t, rsaKey, pkix.Name{CommonName: "cut.example.test"}, big.NewInt(9), []string{"cut.example.test"}, nil, nil)
	h := capture(t, &tls.Config{MaxVersion: tls.VersionTLS12, ServerName: "cut.example.test", InsecureSkipVerify: true},
		&tls.Config{Certificates: []tls.Certificate{cert.tls}})
	full, err := ParseClientHello(h.client)
	if err != nil {
		t.Fatal(err)
	}
	helloEnd := RecordHeaderLen + len(full.Raw) // Go sends its hello in one record
	for i := 0; i < helloEnd; i++ {
		ch, err := ParseClientHello(h.client[:i])
		if !errors.Is(err, ErrTruncated) {
			t.Fatalf("client cut at %d: err %v", i, err)
		}
		if ch != nil && (!ch.Truncated || len(ch.Raw) > i) {
			t.Fatalf("client cut at %d: truncated %v raw %d", i, ch.Truncated, len(ch.Raw))
		}
		if ch != nil && i > helloEnd-5 && ch.ServerName != "" && ch.ServerName != "cut.example.test" {
			t.Fatalf("client cut at %d: SNI %q", i, ch.ServerName)
		}
	}
	fullFlight, err := ParseServerFlight(h.server)
	if err != nil {
		t.Fatal(err)
	}
	flightEnd := 0
	for rest := h.server; len(rest) > 0; {
		rec, r, _ := NextRecord(rest)
		if rec.Type != ContentHandshake {
			break
		}
		flightEnd += RecordHeaderLen + rec.Length
		rest = r
	}
	for i := 0; i < flightEnd; i++ {
		f, err := ParseServerFlight(h.server[:i])
		if !errors.Is(err, ErrTruncated) {
			t.Fatalf("server cut at %d: err %v", i, err)
		}
		if f != nil && !f.Truncated {
			t.Fatalf("server cut at %d: not marked truncated", i)
		}
		if f != nil && f.Leaf != nil && f.Leaf.Subject != fullFlight.Leaf.Subject {
			t.Fatalf("server cut at %d: leaf %q", i, f.Leaf.Subject)
		}
	}
	if f, err := ParseServerFlight(h.server[:flightEnd]); err != nil || f.Truncated {
		t.Fatalf("whole flight: %v", err)
	}
}
