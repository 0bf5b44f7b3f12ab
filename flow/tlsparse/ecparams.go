package tlsparse

// oidECPublicKey is id-ecPublicKey (RFC 5480), DER content octets.
var oidECPublicKey = []byte{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01}

// ExplicitCurve reports whether a DER certificate's public key is an
// elliptic-curve key whose curve is spelled out (ECParameters: field,
// coefficients, generator, order; RFC 3279's specifiedCurve) instead of
// named by an OID. RFC 5480 (2.1.1) forbids that form in certificates and
// no public CA issues it; CurveBall (CVE-2020-0601) needs it: a CA
// certificate with a trusted root's public key over that root's curve with
// a generator of the attacker's choosing, whose private key the attacker
// then knows, which Windows' CryptoAPI accepted as the root until January
// 2020. It reads the DER without crypto/x509, which rejects such keys.
func ExplicitCurve(der []byte) bool {
	spki, ok := spkiOf(der)
	if !ok {
		return false
	}
	alg, _, ok := readDER(spki)
	if !ok || alg.tag != tagSequence {
		return false
	}
	oid, params, ok := readDER(alg.content)
	if !ok || oid.tag != tagOID || string(oid.content) != string(oidECPublicKey) {
		return false
	}
	p, _, ok := readDER(params)
	return ok && p.tag == tagSequence
}

// spkiOf walks a certificate to its SubjectPublicKeyInfo's content,
// stepping over the fields before it unread (readTBS parses them: the
// validity's times cost more than the walk).
func spkiOf(der []byte) ([]byte, bool) {
	_, b, ok := tbsSerial(der)
	// Then the signature algorithm, issuer, validity and subject, then
	// the key.
	var e derElem
	for range 4 {
		if !ok {
			return nil, false
		}
		_, b, ok = readDER(b)
	}
	if !ok {
		return nil, false
	}
	if e, _, ok = readDER(b); !ok || e.tag != tagSequence {
		return nil, false
	}
	return e.content, true
}
