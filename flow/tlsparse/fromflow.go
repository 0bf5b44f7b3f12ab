package tlsparse

import "github.com/tlsentry/tlsentry/flow"

// sniffBytes is how much of a side's bytes Sniff looks at.
const sniffBytes = 512

// FromFlow parses what a finished flow kept of its TLS handshake; certs
// (may be nil) caches certificate parsing across flows. A flow that is not
// TLS is labelled from its first bytes; a QUIC flow's handshake bytes are
// its CRYPTO streams (as ParseQUICFlow).
//
// Unlike ParseFlow, the result aliases the flow's handshake bytes instead
// of copying them: a finished flow's bytes are never written again, and
// copying each flow's hellos and certificates was a large part of the
// parsing cost.
//
// A server flight the capture kept only up to its byte limit (a
// certificate chain larger than the limit) is not Truncated: the stream
// went on, and what was kept is parsed (the leaf and the whole chain
// certificates, with ChainCut set).
func FromFlow(f *flow.Flow, certs *CertCache) *Handshake {
	if f.Transport == flow.TransportUDP {
		return parseFlow(f.ClientHandshake, f.ServerHandshake, nil, nil, certs, true, false)
	}
	h := parseFlow(f.ClientHandshake, f.ServerHandshake, firstBytes(f, true), firstBytes(f, false), certs, false, false)
	if f.ServerHandshakeAtLimit && h.Server != nil && h.Server.Truncated {
		h.Server.Truncated = false
		h.ServerErr = nil
	}
	return h
}

// firstBytes are the side's bytes Sniff labels the flow by: those before
// its first hole when it has one inside them (a snap length, a lost
// segment), so that bytes after the hole are not read as the start's
// continuation.
func firstBytes(f *flow.Flow, fromClient bool) []byte {
	if len(f.ClientHandshake)+len(f.ServerHandshake) > 0 {
		return nil // TLS anyway: no need to look
	}
	holed, intact := f.ClientHoled, f.ClientIntact
	if !fromClient {
		holed, intact = f.ServerHoled, f.ServerIntact
	}
	limit := sniffBytes
	if holed && intact > 0 {
		limit = min(limit, intact)
	}
	return f.SideBytes(fromClient, limit)
}
