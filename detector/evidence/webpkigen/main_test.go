package main

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/testcert"
)

func selfSigned(t *testing.T, cn string) []byte {
	c, _ := testcert.Issue(t, x509.Certificate{Subject: pkix.Name{CommonName: cn}, NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1e9, 0)}, nil, nil)
	return c.Raw
}

// The three shapes the sources come in: PEM, PEM kept as JavaScript
// string literals (old npm bundles), concatenated DER.
func TestCertificates(t *testing.T) {
	a, b := selfSigned(t, "Root A"), selfSigned(t, "Root B")
	plain := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b})...)
	var js strings.Builder
	js.WriteString("  // Root A\n  \"-----BEGIN CERTIFICATE-----\\n\" +\n")
	enc := base64.StdEncoding.EncodeToString(a)
	for len(enc) > 0 {
		n := min(76, len(enc))
		js.WriteString("  \"" + enc[:n] + "\\n\" +\n")
		enc = enc[n:]
	}
	js.WriteString("  \"-----END CERTIFICATE-----\\n\"\n")
	for _, tc := range []struct {
		name string
		in   []byte
		want [][]byte
	}{
		{"pem", plain, [][]byte{a, b}},
		{"javascript", []byte(js.String()), [][]byte{a}},
		{"der", append(append([]byte{}, a...), b...), [][]byte{a, b}},
	} {
		got, err := certificates(tc.in)
		if err != nil || len(got) != len(tc.want) {
			t.Fatalf("%s: %d certificates, %v", tc.name, len(got), err)
		}
		for i := range got {
			if !bytes.Equal(got[i], tc.want[i]) {
				t.Errorf("%s: certificate %d differs", tc.name, i)
			}
		}
	}
	if _, err := certificates([]byte("not a certificate")); err == nil {
		t.Error("garbage read as certificates")
	}
	if _, err := certificates(a[:len(a)-3]); err == nil {
		t.Error("a cut DER certificate read as whole")
	}
}
