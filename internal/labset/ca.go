package labset

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"time"

	"github.com/tlsentry/tlsentry/internal/capgen"
)

// ca is a throw-away certificate authority, so that benign servers present
// CA-signed certificates (and a self-signed one stands out).
type ca struct {
	cert *x509.Certificate
	key  crypto.Signer
	kt   capgen.KeyType
}

var notBefore = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newKey(kt capgen.KeyType) (crypto.Signer, error) {
	if kt == capgen.RSA2048 {
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

func newCA(kt capgen.KeyType) (*ca, error) {
	key, err := newKey(kt)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Example Lab CA", Organization: []string{"Example Lab"}},
		NotBefore: notBefore, NotAfter: notBefore.AddDate(5, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &ca{cert: cert, key: key, kt: kt}, nil
}

// configs returns client and server configs: the server holds a leaf for
// name signed by the CA; the client trusts the CA and asks for host.
func (c *ca) configs(name, host string) (client, server *tls.Config, err error) {
	key, err := newKey(c.kt)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name, Organization: []string{"Example"}},
		DNSNames: []string{name}, NotBefore: notBefore, NotAfter: notBefore.AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, key.Public(), c.key)
	if err != nil {
		return nil, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(c.cert)
	now := func() time.Time { return notBefore.Add(time.Hour) }
	client = &tls.Config{ServerName: host, RootCAs: roots, Time: now}
	if host == "" {
		client.InsecureSkipVerify = true
	}
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der, c.cert.Raw}, PrivateKey: key, Leaf: leaf}}, Time: now}
	return client, server, nil
}
