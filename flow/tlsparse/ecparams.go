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
	t, ok := readTBS(der)
	if !ok {
		return false
	}
	alg, _, ok := readDER(t.spki)
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
