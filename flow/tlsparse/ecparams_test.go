package tlsparse

import (
	"bytes"
	"testing"

	"github.com/tlsentry/tlsentry/internal/capgen"
)

// TestExplicitCurve: the CA certificate of a CurveBall-shaped chain spells
// its curve out; its leaf, an ordinary ECDSA certificate and an RSA one
// name theirs (or have none), and what is not a certificate is none.
func TestExplicitCurve(t *testing.T) {
	chain, err := capgen.CurveBallChain([]string{"www.tlsentry.test"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	leaf, ca := chain.Certificate[0], chain.Certificate[1]
	if !ExplicitCurve(ca) {
		t.Error("the explicit-curve CA is not found")
	}
	if c := ParseCertificate(ca); c.Subject != "C=US, O=Rogue Root, CN=Rogue ECC Root" || c.CertError == "" {
		t.Errorf("the CA reads as %q, crypto/x509 error %q", c.Subject, c.CertError)
	}
	ecdsa, err := capgen.SelfSignedCert(capgen.CertOptions{Key: capgen.ECDSAP256, CommonName: "a.test"})
	if err != nil {
		t.Fatal(err)
	}
	rsa, err := capgen.SelfSignedCert(capgen.CertOptions{Key: capgen.RSA2048, CommonName: "a.test"})
	if err != nil {
		t.Fatal(err)
	}
	for name, der := range map[string][]byte{"leaf": leaf, "ECDSA P-256": ecdsa.Certificate[0], "RSA": rsa.Certificate[0],
		"empty": nil, "cut CA": ca[:len(ca)/2], "not DER": []byte("-----BEGIN CERTIFICATE-----")} {
		if ExplicitCurve(der) {
			t.Errorf("%s: found an explicit curve", name)
		}
	}
	// The walk to the key skips what readTBS reads on the way.
	for _, der := range [][]byte{leaf, ca, ecdsa.Certificate[0], rsa.Certificate[0]} {
		tbs, _ := readTBS(der)
		if spki, ok := spkiOf(der); !ok || !bytes.Equal(spki, tbs.spki) {
			t.Errorf("spkiOf: %v, %x, readTBS %x", ok, spki, tbs.spki)
		}
	}
}

func FuzzExplicitCurve(f *testing.F) {
	chain, err := capgen.CurveBallChain([]string{"www.tlsentry.test"}, 1)
	if err != nil {
		f.Fatal(err)
	}
	for _, der := range chain.Certificate {
		f.Add(der)
	}
	f.Add([]byte{0x30, 0x03, 0x30, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		ExplicitCurve(der) // must not panic or read out of bounds
	})
}
