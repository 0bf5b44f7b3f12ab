package tlsparse

import (
	"bytes"
	"crypto"
	"crypto/dsa" //nolint:staticcheck // old certificates still carry DSA keys
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"math/big"
	"net/netip"
	"strconv"
	"time"
)

// Certificate summarises one X.509 certificate in the fields a sensor logs.
// Subject, Issuer and Serial follow Suricata's eve.json (tls.subject,
// tls.issuerdn, tls.serial).
type Certificate struct {
	Raw []byte // DER

	// Subject and Issuer as Suricata prints them (x509-parser's rendering),
	// e.g. "C=US, O=Let's Encrypt, CN=R3": RDNs in certificate order joined
	// by ", ", the values of a multi-valued RDN joined by " + ", attribute
	// names C, ST, L, O, OU, CN, DC, Email, then the oid-registry short
	// names (serialNumber, givenName...), else "OID(1.2.3)". String values
	// as they are (BMPString decoded), other types as uppercase hex. A name
	// with a string value that is not valid UTF-8 renders as
	// "<X509Error: Invalid X.509 name>", as in Suricata.
	Subject string
	Issuer  string
	// Serial is the DER serial number, sign byte included, as uppercase
	// colon-separated hex: "00:C7:D4:28:8B:80:E0:1E:25".
	Serial    string
	NotBefore time.Time
	NotAfter  time.Time

	// DNSNames and IPAddresses from subjectAltName (empty when crypto/x509
	// rejected the certificate).
	DNSNames    []string
	IPAddresses []netip.Addr

	// SelfIssued: subject and issuer are byte-identical.
	SelfIssued bool
	// SelfSigned: SelfIssued and the signature verifies with the
	// certificate's own public key (crypto/x509 CheckSignature, which
	// accepts SHA-1; MD5-RSA is checked directly). False when the signature
	// cannot be checked (unsupported algorithm, rejected certificate).
	SelfSigned bool

	// SHA256Fingerprint is the SHA-256 of the DER, lowercase colon-separated
	// hex. (Suricata's tls.fingerprint is the SHA-1 in the same format.)
	SHA256Fingerprint string
	// SHA1Fingerprint likewise for SHA-1: Suricata's tls.fingerprint.
	SHA1Fingerprint string
	// PublicKey names the key type and size: "RSA-2048", "ECDSA-P256",
	// "Ed25519", "DSA-1024", "X25519", "ML-DSA-44"..., or "unknown".
	PublicKey string
	// SignatureAlgorithm as crypto/x509 names it ("SHA256-RSA"...), empty
	// when rejected.
	SignatureAlgorithm string

	// CertError is why crypto/x509 rejected the certificate; empty when it
	// parsed. A rejected certificate still gets the fields above that the
	// package's own DER walk can read (names, serial, validity, key type).
	CertError string
}

// ParseCertificate summarises a DER certificate. It never fails: what
// cannot be read is left empty and CertError says why.
func ParseCertificate(der []byte) *Certificate {
	c := &Certificate{Raw: der}
	sum := sha256.Sum256(der)
	c.SHA256Fingerprint = colonHex(sum[:], false)
	sum1 := sha1.Sum(der)
	c.SHA1Fingerprint = colonHex(sum1[:], false)

	tbs, tbsOK := readTBS(der)
	if tbsOK {
		c.Serial = colonHex(tbs.serial, true)
		c.Subject = nameString(tbs.subject)
		c.Issuer = nameString(tbs.issuer)
		c.NotBefore, c.NotAfter = tbs.notBefore, tbs.notAfter
		c.SelfIssued = bytes.Equal(tbs.subject, tbs.issuer)
	}

	x, err := x509.ParseCertificate(der)
	if err != nil {
		c.CertError = err.Error()
		c.PublicKey = spkiKeyType(tbs.spki)
		return c
	}
	if !tbsOK { // cannot happen for a certificate x509 accepts; be safe
		c.Subject, c.Issuer = x.Subject.String(), x.Issuer.String()
		c.NotBefore, c.NotAfter = x.NotBefore, x.NotAfter
	}
	c.NotBefore, c.NotAfter = x.NotBefore.UTC(), x.NotAfter.UTC()
	c.DNSNames = x.DNSNames
	for _, ip := range x.IPAddresses {
		if a, ok := netip.AddrFromSlice(ip); ok {
			c.IPAddresses = append(c.IPAddresses, a.Unmap())
		}
	}
	c.PublicKey = keyType(x.PublicKey)
	if c.PublicKey == "unknown" {
		c.PublicKey = spkiKeyType(tbs.spki)
	}
	c.SignatureAlgorithm = x.SignatureAlgorithm.String()
	c.SelfIssued = bytes.Equal(x.RawSubject, x.RawIssuer)
	c.SelfSigned = c.SelfIssued && selfSignatureOK(x)
	return c
}

// selfSignatureOK checks the certificate's signature with its own key.
func selfSignatureOK(x *x509.Certificate) bool {
	err := x.CheckSignature(x.SignatureAlgorithm, x.RawTBSCertificate, x.Signature)
	if err == nil {
		return true
	}
	var insecure x509.InsecureAlgorithmError
	if errors.As(err, &insecure) && x.SignatureAlgorithm == x509.MD5WithRSA {
		pub, ok := x.PublicKey.(*rsa.PublicKey)
		if !ok {
			return false
		}
		h := md5.Sum(x.RawTBSCertificate)
		return rsa.VerifyPKCS1v15(pub, crypto.MD5, h[:], x.Signature) == nil
	}
	return false
}

// keyType names a public key parsed by crypto/x509.
func keyType(pub any) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return "RSA-" + strconv.Itoa(k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA-" + curveName(k.Curve.Params().Name)
	case ed25519.PublicKey:
		return "Ed25519"
	case *dsa.PublicKey:
		return "DSA-" + strconv.Itoa(k.P.BitLen())
	case *ecdh.PublicKey:
		if k.Curve() == ecdh.X25519() {
			return "X25519"
		}
		return "ECDH"
	}
	return "unknown"
}

// curveName turns "P-256" into "P256".
func curveName(n string) string {
	if len(n) > 2 && n[1] == '-' {
		return n[:1] + n[2:]
	}
	return n
}

// Public key algorithm and curve OIDs (dotted) for spkiKeyType.
var (
	curveNames = map[string]string{
		"1.2.840.10045.3.1.7":   "P256",
		"1.3.132.0.34":          "P384",
		"1.3.132.0.35":          "P521",
		"1.3.132.0.33":          "P224",
		"1.2.840.10045.3.1.1":   "P192",
		"1.3.132.0.10":          "secp256k1",
		"1.3.36.3.3.2.8.1.1.7":  "brainpoolP256r1",
		"1.3.36.3.3.2.8.1.1.11": "brainpoolP384r1",
		"1.3.36.3.3.2.8.1.1.13": "brainpoolP512r1",
	}
)

// spkiKeyType names the key of a SubjectPublicKeyInfo that crypto/x509 did
// not parse, from its algorithm OID (and curve, or RSA modulus size).
func spkiKeyType(spki []byte) string {
	alg, rest, ok := readDER(spki)
	if !ok || alg.tag != tagSequence {
		return "unknown"
	}
	oidE, params, ok := readDER(alg.content)
	if !ok || oidE.tag != tagOID {
		return "unknown"
	}
	oid, _ := oidString(oidE.content)
	switch oid {
	case "1.2.840.113549.1.1.1", "1.2.840.113549.1.1.10": // rsaEncryption, RSASSA-PSS
		if bits := rsaBits(rest); bits > 0 {
			return "RSA-" + strconv.Itoa(bits)
		}
		return "RSA"
	case "1.2.840.10045.2.1": // id-ecPublicKey
		if p, _, ok := readDER(params); ok && p.tag == tagOID {
			if s, _ := oidString(p.content); curveNames[s] != "" {
				return "ECDSA-" + curveNames[s]
			}
		}
		return "ECDSA"
	case "1.3.101.112":
		return "Ed25519"
	case "1.3.101.113":
		return "Ed448"
	case "1.3.101.110":
		return "X25519"
	case "1.2.840.10040.4.1":
		return "DSA"
	case "2.16.840.1.101.3.4.3.17":
		return "ML-DSA-44"
	case "2.16.840.1.101.3.4.3.18":
		return "ML-DSA-65"
	case "2.16.840.1.101.3.4.3.19":
		return "ML-DSA-87"
	}
	return "unknown"
}

// rsaBits reads the modulus size from the BIT STRING of an RSA
// SubjectPublicKeyInfo.
func rsaBits(rest []byte) int {
	bs, _, ok := readDER(rest)
	if !ok || bs.tag != 0x03 || len(bs.content) < 1 {
		return 0
	}
	seq, _, ok := readDER(bs.content[1:])
	if !ok || seq.tag != tagSequence {
		return 0
	}
	n, _, ok := readDER(seq.content)
	if !ok || n.tag != tagInteger {
		return 0
	}
	return new(big.Int).SetBytes(n.content).BitLen()
}
