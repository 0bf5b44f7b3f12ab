package testcert

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"
	"time"
)

// A root signs itself; a leaf under it names it as issuer and verifies
// against it; a parent with only a name signs under that name.
func TestIssue(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	root, rootKey := Issue(t, x509.Certificate{Subject: pkix.Name{CommonName: "Root"}, NotBefore: at, NotAfter: at.AddDate(1, 0, 0)}, nil, nil)
	leaf, _ := Issue(t, x509.Certificate{Subject: pkix.Name{CommonName: "leaf"}, DNSNames: []string{"a.test"}, NotBefore: at, NotAfter: at.AddDate(0, 1, 0)}, root, rootKey)
	if !root.IsCA || !bytes.Equal(root.RawIssuer, root.RawSubject) || leaf.IsCA || !bytes.Equal(leaf.RawIssuer, root.RawSubject) {
		t.Fatal("issuer names or CA flags wrong")
	}
	if err := leaf.CheckSignatureFrom(root); err != nil {
		t.Fatal(err)
	}
	named := &x509.Certificate{RawSubject: root.RawSubject[:len(root.RawSubject):len(root.RawSubject)]}
	other, _ := Issue(t, x509.Certificate{Subject: pkix.Name{CommonName: "other"}, NotBefore: at, NotAfter: at.AddDate(0, 1, 0)}, named, rootKey)
	if !bytes.Equal(other.RawIssuer, root.RawSubject) {
		t.Error("a named parent did not give its name")
	}
}
