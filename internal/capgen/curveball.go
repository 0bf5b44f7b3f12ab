package capgen

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"fmt"
	"math/big"
	"time"
)

// CurveBallChain makes a server certificate chain in the shape of the
// CurveBall exploit (CVE-2020-0601): a leaf for names (ECDSA P-256),
// issued by a CA certificate whose elliptic-curve key spells its curve
// out (explicit ECParameters: RFC 3279's specifiedCurve) with the key
// itself as the generator, as the public exploits build theirs (their
// private key is then 1). The signatures are made with an ordinary P-256
// key: what a sensor sees of the exploit is the chain's shape, and no
// client here validates it. Its bytes depend only on the names and seed.
func CurveBallChain(names []string, seed uint64) (tls.Certificate, error) {
	var s [32]byte
	binary.BigEndian.PutUint64(s[:], seed)
	rootSeed := sha256.Sum256(append(s[:8], "curveball root"...))
	leafSeed := sha256.Sum256(append(s[:8], "curveball leaf"...))
	root, err := deterministicECDSA(rootSeed)
	if err != nil {
		return tls.Certificate{}, err
	}
	leafKey, err := deterministicECDSA(leafSeed)
	if err != nil {
		return tls.Certificate{}, err
	}
	notBefore := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	caName := pkix.Name{Country: []string{"US"}, Organization: []string{"Rogue Root"}, CommonName: "Rogue ECC Root"}
	ca, err := explicitCurveCA(root, caName, notBefore, new(big.Int).SetBytes(rootSeed[:8]))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: new(big.Int).SetBytes(leafSeed[:16]),
		Subject:      pkix.Name{CommonName: names[0]},
		DNSNames:     names,
		NotBefore:    notBefore,
		NotAfter:     notBefore.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	parent := &x509.Certificate{Subject: caName, PublicKey: root.Public()}
	leaf, err := x509.CreateCertificate(nil, tmpl, parent, leafKey.Public(), root)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("capgen: curveball leaf: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{leaf, ca}, PrivateKey: leafKey}, nil
}

// The DER shapes of a certificate with an explicit-curve key (RFC 5280,
// RFC 3279 2.3.5), which crypto/x509 does not make.
type (
	ecFieldID struct {
		Type  asn1.ObjectIdentifier
		Prime *big.Int
	}
	ecCurve      struct{ A, B []byte }
	ecParameters struct {
		Version  int
		FieldID  ecFieldID
		Curve    ecCurve
		Base     []byte
		Order    *big.Int
		Cofactor int
	}
	explicitKeyAlg struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters ecParameters
	}
	explicitSPKI struct {
		Algorithm explicitKeyAlg
		PublicKey asn1.BitString
	}
	validity       struct{ NotBefore, NotAfter time.Time }
	tbsCertificate struct {
		Version    int `asn1:"explicit,tag:0"`
		Serial     *big.Int
		Signature  pkix.AlgorithmIdentifier
		Issuer     asn1.RawValue
		Validity   validity
		Subject    asn1.RawValue
		SPKI       explicitSPKI
		Extensions []pkix.Extension `asn1:"explicit,tag:3"`
	}
	certificateDER struct {
		TBS       asn1.RawValue
		Algorithm pkix.AlgorithmIdentifier
		Signature asn1.BitString
	}
)

var (
	oidECPublicKey      = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidPrimeField       = asn1.ObjectIdentifier{1, 2, 840, 10045, 1, 1}
	oidECDSAWithSHA256  = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
)

// explicitCurveCA makes a self-issued CA certificate for key whose P-256
// curve is spelled out with the public key as its generator, signed by
// key on the named curve.
func explicitCurveCA(key *ecdsa.PrivateKey, name pkix.Name, notBefore time.Time, serial *big.Int) ([]byte, error) {
	p := elliptic.P256().Params()
	point, err := key.PublicKey.Bytes() // uncompressed: 04 || X || Y
	if err != nil {
		return nil, fmt.Errorf("capgen: curveball key: %w", err)
	}
	a := new(big.Int).Sub(p.P, big.NewInt(3)) // P-256's a is -3
	nameDER, err := asn1.Marshal(name.ToRDNSequence())
	if err != nil {
		return nil, err
	}
	isCA, err := asn1.Marshal(struct{ CA bool }{true})
	if err != nil {
		return nil, err
	}
	sigAlg := pkix.AlgorithmIdentifier{Algorithm: oidECDSAWithSHA256}
	tbs, err := asn1.Marshal(tbsCertificate{
		Version:   2,
		Serial:    serial,
		Signature: sigAlg,
		Issuer:    asn1.RawValue{FullBytes: nameDER},
		Validity:  validity{notBefore, notBefore.AddDate(10, 0, 0)},
		Subject:   asn1.RawValue{FullBytes: nameDER},
		SPKI: explicitSPKI{
			Algorithm: explicitKeyAlg{Algorithm: oidECPublicKey, Parameters: ecParameters{
				Version:  1,
				FieldID:  ecFieldID{Type: oidPrimeField, Prime: p.P},
				Curve:    ecCurve{A: a.FillBytes(make([]byte, 32)), B: p.B.FillBytes(make([]byte, 32))},
				Base:     point,
				Order:    p.N,
				Cofactor: 1,
			}},
			PublicKey: asn1.BitString{Bytes: point, BitLength: 8 * len(point)},
		},
		Extensions: []pkix.Extension{{Id: oidBasicConstraints, Critical: true, Value: isCA}},
	})
	if err != nil {
		return nil, fmt.Errorf("capgen: curveball CA: %w", err)
	}
	digest := sha256.Sum256(tbs)
	sig, err := key.Sign(nil, digest[:], crypto.SHA256) // nil: deterministic (RFC 6979)
	if err != nil {
		return nil, fmt.Errorf("capgen: curveball CA signature: %w", err)
	}
	return asn1.Marshal(certificateDER{TBS: asn1.RawValue{FullBytes: tbs}, Algorithm: sigAlg,
		Signature: asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}})
}
