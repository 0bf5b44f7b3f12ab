package tlsparse

import "errors"

// Handshake is what one flow said about TLS: both directions' first
// handshake messages, parsed, or what the flow looks like instead.
type Handshake struct {
	// AppProto is "tls" when either side of a TCP flow spoke TLS;
	// otherwise what the client's bytes (or, when the client sent none,
	// the server's) look like: one of the Sniff labels. A QUIC flow's is
	// "quic" (AppQUIC), hellos or not.
	AppProto string
	Client   *ClientHello  // nil when the client sent no ClientHello
	Server   *ServerFlight // nil when the server sent no ServerHello
	// ClientErr and ServerErr say what went wrong parsing each side
	// (ErrTruncated when the capture stopped inside the messages).
	ClientErr, ServerErr error

	// quic is set for a QUIC flow: its hellos came in CRYPTO frames, and
	// its JA4 says so (Transport).
	quic bool

	prints *printCache // the CertCache's fingerprints, for Prints; may be nil
	// ownClient and ownServer are the cache's entries for
	// Prints(h.Transport()), looked up while parsing when there is a cache
	// (hasOwnPrints); nil when that side has none.
	ownClient    *clientPrints
	ownServer    *JA3
	hasOwnPrints bool

	store *flowStore // the allocation h lives in, for Release; nil if none
}

// ParseFlow parses the handshake bytes a flow kept for each direction.
// clientStart and serverStart are the first bytes each side sent, used to
// label a flow that is not TLS. certs may be nil.
func ParseFlow(clientHS, serverHS, clientStart, serverStart []byte, certs *CertCache) *Handshake {
	return parseFlow(clientHS, serverHS, clientStart, serverStart, certs, false, true)
}

// ParseQUICFlow parses the CRYPTO streams of a QUIC flow's Initial
// packets, each direction's handshake messages without record headers
// (the ClientHello; the ServerHello, or a HelloRetryRequest and then the
// ServerHello). The result's AppProto is "quic" and its fingerprints are
// QUIC's (Transport). certs may be nil.
func ParseQUICFlow(clientCrypto, serverCrypto []byte, certs *CertCache) *Handshake {
	return parseFlow(clientCrypto, serverCrypto, nil, nil, certs, true, true)
}

// parseFlow is ParseFlow, or with quic ParseQUICFlow; without copyMsgs
// the result aliases clientHS and serverHS. The handshake, both hellos and
// their usual lists come in one allocation.
func parseFlow(clientHS, serverHS, clientStart, serverStart []byte, certs *CertCache, quic, copyMsgs bool) *Handshake {
	if len(clientHS)+len(serverHS) == 0 {
		if quic {
			return &Handshake{AppProto: AppQUIC, quic: true}
		}
		return &Handshake{AppProto: sniffSides(clientStart, serverStart)}
	}
	st := storePool.Get().(*flowStore)
	h := &st.h
	h.store = st
	h.prints = certs.printCache()
	h.quic = quic
	if len(clientHS) > 0 {
		h.Client, h.ClientErr = parseClientHello(clientHS, &st.c, quic, copyMsgs)
		if h.Client == nil && h.ClientErr == nil {
			h.ClientErr = errors.New("no ClientHello")
		}
	}
	if len(serverHS) > 0 {
		h.Server, h.ServerErr = parseServerFlight(serverHS, certs, &st.s, quic, copyMsgs)
	}
	hellos := h.Client != nil || h.Server != nil
	switch {
	case quic:
		h.AppProto = AppQUIC
	case hellos:
		h.AppProto = SniffTLS
	default:
		h.AppProto = sniffSides(clientStart, serverStart)
	}
	if hellos && h.prints != nil {
		// Now, while the hellos are in the processor's cache: a sensor
		// parses a batch of flows before it writes their records, and by
		// then they are not.
		h.lookUpOwnPrints()
	}
	return h
}

// SpokeTLS reports whether the flow spoke TLS: TLS records over TCP
// (AppProto "tls", hellos or not: a connection picked up after its
// handshake), or hellos inside QUIC.
func (h *Handshake) SpokeTLS() bool {
	return h.AppProto == SniffTLS || h.Client != nil || h.Server != nil
}

// Transport is the JA4 transport of the flow: TransportQUIC for a QUIC
// flow, TransportTCP otherwise.
func (h *Handshake) Transport() Transport {
	if h.quic {
		return TransportQUIC
	}
	return TransportTCP
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
