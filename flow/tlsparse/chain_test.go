package tlsparse

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/internal/testcert"
)

// mkCert issues a certificate for subject, signed by parent (self-signed
// when parent is nil).
func mkCert(t *testing.T, subject pkix.Name, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	return testcert.Issue(t, x509.Certificate{SerialNumber: big.NewInt(7), Subject: subject, NotBefore: time.Unix(1.6e9, 0), NotAfter: time.Unix(1.7e9, 0)}, parent, parentKey)
}

func TestChainIssuer(t *testing.T) {
	root, rootKey := mkCert(t, pkix.Name{CommonName: "Test Root", Organization: []string{"Lab"}}, nil, nil)
	mid, midKey := mkCert(t, pkix.Name{CommonName: "Test Intermediate"}, root, rootKey)
	leaf, _ := mkCert(t, pkix.Name{CommonName: "example.test"}, mid, midKey)
	rootName := root.RawSubject[2:] // the Name's content octets (short-form length)
	for _, tc := range []struct {
		name  string
		f     *ServerFlight
		want  []byte
		found bool
	}{
		{"leaf and intermediate", &ServerFlight{Chain: [][]byte{leaf.Raw, mid.Raw}}, rootName, true},
		{"whole chain with its root", &ServerFlight{Chain: [][]byte{leaf.Raw, mid.Raw, root.Raw}}, rootName, true},
		{"leaf only", &ServerFlight{Chain: [][]byte{leaf.Raw}}, mid.RawSubject[2:], true},
		{"cut chain", &ServerFlight{Chain: [][]byte{leaf.Raw}, ChainCut: true}, nil, false},
		{"no chain", &ServerFlight{}, nil, false},
		{"unreadable last certificate", &ServerFlight{Chain: [][]byte{leaf.Raw, mid.Raw[:40]}}, nil, false},
	} {
		got, ok := tc.f.ChainIssuer()
		if ok != tc.found || !bytes.Equal(got, tc.want) {
			t.Errorf("%s: ChainIssuer = %x, %v; want %x, %v", tc.name, got, ok, tc.want, tc.found)
		}
	}
	if s := NameString(rootName); s != "O=Lab, CN=Test Root" {
		t.Errorf("NameString = %q", s)
	}
	issuer, subject, ok := NameDER(mid.Raw)
	if !ok || !bytes.Equal(issuer, rootName) || !bytes.Equal(subject, mid.RawSubject[2:]) {
		t.Errorf("NameDER(intermediate) = %x, %x, %v", issuer, subject, ok)
	}
}
