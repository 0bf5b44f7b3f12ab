package tlsparse

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"strings"
	"testing"
	"time"
)

// TestNameString checks the Suricata (x509-parser) rendering of names.
func TestNameString(t *testing.T) {
	oid := func(s string) asn1.ObjectIdentifier {
		var o asn1.ObjectIdentifier
		for _, p := range strings.Split(s, ".") {
			n := 0
			for _, c := range p {
				n = n*10 + int(c-'0')
			}
			o = append(o, n)
		}
		return o
	}
	atv := func(o string, v any) pkix.AttributeTypeAndValue {
		return pkix.AttributeTypeAndValue{Type: oid(o), Value: v}
	}
	bmp := asn1.RawValue{Tag: 30, Bytes: []byte{0, 'h', 0x00, 0xe9, 0, '!'}}
	t61 := asn1.RawValue{Tag: 20, Bytes: []byte{'c', 0xe9}} // Latin-1, not UTF-8
	seq := pkix.RDNSequence{
		{atv("2.5.4.6", "US")},
		{atv("2.5.4.10", "Let's Encrypt")},
		{atv("2.5.4.11", "a"), atv("2.5.4.11", "b")},
		{atv("1.2.840.113549.1.9.1", "x@example.com")},
		{atv("2.5.4.5", "1234")},
		{atv("1.3.6.1.4.1.311.60.2.1.3", "DE")},
		{atv("1.2.3.4", "odd")},
		{atv("2.5.4.3", bmp)},
		{atv("0.9.2342.19200300.100.1.25", 7)},
	}
	der, err := asn1.Marshal(seq)
	if err != nil {
		t.Fatal(err)
	}
	e, _, _ := readDER(der)
	want := "C=US, O=Let's Encrypt, OU=a + OU=b, Email=x@example.com, serialNumber=1234, msJurisdictionCountry=DE, OID(1.2.3.4)=odd, CN=hé!, DC=07"
	if got := nameString(e.content); got != want {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
	bad, _ := asn1.Marshal(pkix.RDNSequence{{atv("2.5.4.3", t61)}})
	e, _, _ = readDER(bad)
	if got := nameString(e.content); got != invalidName {
		t.Errorf("invalid UTF-8: %q", got)
	}
	if got := nameString(nil); got != "" {
		t.Errorf("empty name: %q", got)
	}
	if got := nameString([]byte{0x31, 0x05, 0x30}); got != invalidName {
		t.Errorf("broken name: %q", got)
	}
}

// TestRejectedCertificate: crypto/x509 refuses negative serial numbers; the
// summary still carries what the DER walk can read.
func TestRejectedCertificate(t *testing.T) {
	testKeys(t)
	c := makeCert(t, ecKey, pkix.Name{Country: []string{"FR"}, CommonName: "neg.example"}, big.NewInt(0x0a1234), []string{"neg.example"}, nil, nil)
	der := bytes.Clone(c.der)
	i := bytes.Index(der, []byte{0x02, 0x03, 0x0a, 0x12, 0x34})
	if i < 0 {
		t.Fatal("serial not found")
	}
	der[i+2] = 0x8a // now negative
	got := ParseCertificate(der)
	if got.CertError == "" || !strings.Contains(got.CertError, "serial") {
		t.Errorf("CertError %q", got.CertError)
	}
	if got.Serial != "8A:12:34" || got.Subject != "C=FR, CN=neg.example" || got.Issuer != got.Subject || !got.SelfIssued || got.SelfSigned {
		t.Errorf("fallback fields %+v", got)
	}
	if got.PublicKey != "ECDSA-P256" || !got.NotBefore.Equal(c.tmpl.NotBefore) || !got.NotAfter.Equal(c.tmpl.NotAfter) || got.DNSNames != nil {
		t.Errorf("fallback key %q validity %v %v", got.PublicKey, got.NotBefore, got.NotAfter)
	}
	for _, garbage := range [][]byte{nil, {0x30}, {0x30, 0x03, 0x02, 0x01, 0x01}, bytes.Repeat([]byte{0x30, 0x82}, 10)} {
		g := ParseCertificate(garbage)
		if g.CertError == "" || g.PublicKey == "" || len(g.SHA256Fingerprint) != 95 {
			t.Errorf("garbage %x: %+v", garbage, g)
		}
	}
}

func TestSelfSignedRSA(t *testing.T) {
	testKeys(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "r"}, NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1e9, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &rsaKey.PublicKey, rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	c := ParseCertificate(der)
	if !c.SelfSigned || c.PublicKey != "RSA-2048" || c.SignatureAlgorithm != "SHA256-RSA" || c.Serial != "01" {
		t.Errorf("%+v", c)
	}
	// Same names, wrong key: self-issued but not self-signed.
	forged, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ecKey.PublicKey, rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	if c := ParseCertificate(forged); !c.SelfIssued || c.SelfSigned {
		t.Errorf("forged: %+v", c)
	}
}

func TestDERTime(t *testing.T) {
	cases := []struct {
		tag  byte
		s    string
		want time.Time
	}{
		{tagUTCTime, "491231235959Z", time.Date(2049, 12, 31, 23, 59, 59, 0, time.UTC)},
		{tagUTCTime, "500101000000Z", time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC)},
		{tagGeneralizedTime, "20500101000000Z", time.Date(2050, 1, 1, 0, 0, 0, 0, time.UTC)},
		{tagUTCTime, "5001010000Z", time.Time{}},
		{tagGeneralizedTime, "2050010100000xZ", time.Time{}},
	}
	for _, tc := range cases {
		if got := derTime(derElem{tag: tc.tag, content: []byte(tc.s)}); !got.Equal(tc.want) {
			t.Errorf("%s: %v, want %v", tc.s, got, tc.want)
		}
	}
	if s, ok := oidString([]byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01}); !ok || s != "1.2.840.113549.1.9.1" {
		t.Errorf("oid %q", s)
	}
	if _, ok := oidString([]byte{0x2a, 0x86}); ok {
		t.Error("unterminated OID accepted")
	}
}

func TestOIDTables(t *testing.T) {
	for dotted := range nameAbbrev {
		if s, ok := oidString(oidDER(dotted)); !ok || s != dotted {
			t.Errorf("%s: round trip %q", dotted, s)
		}
	}
}
