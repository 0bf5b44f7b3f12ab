package tlsparse

import "github.com/tlsentry/tlsentry/flow"

// sniffBytes is how much of a side's bytes Sniff looks at.
const sniffBytes = 512

// FromFlow parses what a finished flow kept of its TLS handshake; certs
// (may be nil) caches certificate parsing across flows. A flow that is not
// TLS is labelled from its first bytes.
func FromFlow(f *flow.Flow, certs *CertCache) *Handshake {
	return ParseFlow(f.ClientHandshake, f.ServerHandshake, firstBytes(f, true), firstBytes(f, false), certs)
}

func firstBytes(f *flow.Flow, fromClient bool) []byte {
	if len(f.ClientHandshake)+len(f.ServerHandshake) > 0 {
		return nil // TLS anyway: no need to look
	}
	return f.SideBytes(fromClient, sniffBytes)
}
