package tlsparse

import "errors"

// Handshake is what one TCP flow said about TLS: both directions' first
// handshake messages, parsed, or what the flow looks like instead.
type Handshake struct {
	// AppProto is "tls" when either side spoke TLS; otherwise what the
	// client's bytes (or, when the client sent none, the server's) look
	// like: one of the Sniff labels.
	AppProto string
	Client   *ClientHello  // nil when the client sent no ClientHello
	Server   *ServerFlight // nil when the server sent no ServerHello
	// ClientErr and ServerErr say what went wrong parsing each side
	// (ErrTruncated when the capture stopped inside the messages).
	ClientErr, ServerErr error

	prints *printCache // the CertCache's fingerprints, for Prints; may be nil
	// tcpClient and tcpServer are the cache's entries for Prints(TransportTCP),
	// looked up while parsing when there is a cache (hasTCPPrints); nil
	// when that side has none.
	tcpClient    *clientPrints
	tcpServer    *JA3
	hasTCPPrints bool

	store *flowStore // the allocation h lives in, for Release; nil if none
}

// ParseFlow parses the handshake bytes a flow kept for each direction.
// clientStart and serverStart are the first bytes each side sent, used to
// label a flow that is not TLS. certs may be nil.
func ParseFlow(clientHS, serverHS, clientStart, serverStart []byte, certs *CertCache) *Handshake {
	return parseFlow(clientHS, serverHS, clientStart, serverStart, certs, true)
}

// parseFlow is ParseFlow; without copyMsgs the result aliases clientHS and
// serverHS. The handshake, both hellos and their usual lists come in one
// allocation.
func parseFlow(clientHS, serverHS, clientStart, serverStart []byte, certs *CertCache, copyMsgs bool) *Handshake {
	if len(clientHS)+len(serverHS) == 0 {
		return &Handshake{AppProto: sniffSides(clientStart, serverStart)}
	}
	st := storePool.Get().(*flowStore)
	h := &st.h
	h.store = st
	h.prints = certs.printCache()
	if len(clientHS) > 0 {
		h.Client, h.ClientErr = parseClientHello(clientHS, &st.c, copyMsgs)
		if h.Client == nil && h.ClientErr == nil {
			h.ClientErr = errors.New("no ClientHello")
		}
	}
	if len(serverHS) > 0 {
		h.Server, h.ServerErr = parseServerFlight(serverHS, certs, &st.s, copyMsgs)
	}
	if h.Client != nil || h.Server != nil {
		h.AppProto = SniffTLS
		if h.prints != nil {
			// Now, while the hellos are in the processor's cache: a
			// sensor parses a batch of flows before it writes their
			// records, and by then they are not.
			h.lookUpTCPPrints()
		}
	} else {
		h.AppProto = sniffSides(clientStart, serverStart)
	}
	return h
}

// sniffSides labels a flow that is not TLS: by the client's first bytes,
// or the server's when the client sent none.
func sniffSides(clientStart, serverStart []byte) string {
	if len(clientStart) > 0 {
		return Sniff(clientStart)
	}
	return Sniff(serverStart)
}

// Version is the TLS version of the connection: the one the server
// selected, else the highest the client offered.
func (h *Handshake) Version() uint16 {
	if h.Server != nil && h.Server.ServerHello != nil {
		return h.Server.ServerHello.SelectedVersion
	}
	if h.Client == nil {
		return 0
	}
	v := h.Client.Version
	for _, sv := range h.Client.SupportedVersions {
		if !IsGREASE(sv) && sv > v && sv>>8 == 3 {
			v = sv
		}
	}
	return v
}
