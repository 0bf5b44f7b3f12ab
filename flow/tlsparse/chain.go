package tlsparse

// ChainIssuer is the issuer name of the last certificate of the chain the
// server sent (the Name's DER content octets, as NameDER returns them for
// a subject): the authority the chain leads to, which a validating client
// must find among its trusted roots. ok is false when there is no chain,
// when the Certificate message was cut (the last whole certificate need
// not be the chain's last), or when that certificate cannot be read.
func (f *ServerFlight) ChainIssuer() (name []byte, ok bool) {
	if f == nil || len(f.Chain) == 0 || f.ChainCut {
		return nil, false
	}
	issuer, _, ok := readNames(f.Chain[len(f.Chain)-1])
	return issuer, ok
}

// NameDER returns a certificate's issuer and subject names (each the
// Name's DER content octets), read byte-exact without crypto/x509.
func NameDER(der []byte) (issuer, subject []byte, ok bool) {
	return readNames(der)
}

// NameString renders a Name's DER content octets (from ChainIssuer or
// NameDER) as Certificate.Subject and Issuer are rendered.
func NameString(name []byte) string { return nameString(name) }

// readNames walks Certificate -> TBSCertificate to the issuer and subject
// names only (readTBS reads more).
func readNames(der []byte) (issuer, subject []byte, ok bool) {
	_, b, ok := tbsSerial(der)
	if !ok {
		return nil, nil, false
	}
	var e derElem
	if _, b, ok = readDER(b); !ok { // signature AlgorithmIdentifier
		return nil, nil, false
	}
	if e, b, ok = readDER(b); !ok || e.tag != tagSequence {
		return nil, nil, false
	}
	issuer = e.content
	if _, b, ok = readDER(b); !ok { // validity
		return nil, nil, false
	}
	if e, _, ok = readDER(b); !ok || e.tag != tagSequence {
		return nil, nil, false
	}
	return issuer, e.content, true
}
