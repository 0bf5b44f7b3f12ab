package tlsparse

import (
	"errors"
	"slices"

	"github.com/tlsentry/tlsentry/flow/quic"
)

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
	// Google is set for a QUIC flow in Google QUIC Crypto (Q0xx
	// versions), whose CRYPTO streams hold tag-value messages and no TLS:
	// Client, Server and their errors stay nil.
	Google *GoogleCrypto

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

// parseFlow is ParseFlow, or with isQUIC ParseQUICFlow; without copyMsgs
// the result aliases clientHS and serverHS. The handshake, both hellos and
// their usual lists come in one allocation.
func parseFlow(clientHS, serverHS, clientStart, serverStart []byte, certs *CertCache, isQUIC, copyMsgs bool) *Handshake {
	if len(clientHS)+len(serverHS) == 0 {
		if isQUIC {
			return &Handshake{AppProto: AppQUIC, quic: true}
		}
		return &Handshake{AppProto: sniffSides(clientStart, serverStart)}
	}
	st := storePool.Get().(*flowStore)
	h := &st.h
	h.store = st
	h.prints = certs.printCache()
	h.quic = isQUIC
	if isQUIC && googleCrypto(h, clientHS, serverHS) {
		h.AppProto = AppQUIC
		return h
	}
	if len(clientHS) > 0 {
		h.Client, h.ClientErr = parseClientHello(clientHS, &st.c, isQUIC, copyMsgs)
		if h.Client == nil && h.ClientErr == nil {
			h.ClientErr = errors.New("no ClientHello")
		}
	}
	if len(serverHS) > 0 {
		h.Server, h.ServerErr = parseServerFlight(serverHS, certs, &st.s, isQUIC, copyMsgs)
	}
	hellos := h.Client != nil || h.Server != nil
	switch {
	case isQUIC:
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

// GoogleCrypto is what a QUIC flow in Google QUIC Crypto said.
type GoogleCrypto struct {
	// Hello is the client's first CHLO; nil when the client sent none, or
	// when it did not parse (Err says why). Hellos are all the whole ones
	// its stream held in order, Hello first (a full CHLO follows an
	// inchoate one after the server's REJ).
	Hello  *quic.GoogleHello
	Hellos []*quic.GoogleHello
	Err    error
}

// googleCrypto reads a QUIC flow whose CRYPTO streams start with Google
// QUIC Crypto's messages instead of TLS's: the client's CHLO into h, and
// neither side as TLS. It reports whether the flow is such a one.
func googleCrypto(h *Handshake, clientHS, serverHS []byte) bool {
	client, server := quic.IsGoogleHandshake(clientHS), quic.IsGoogleHandshake(serverHS)
	if !client && (!server || len(clientHS) > 0) {
		return false
	}
	h.Google = new(GoogleCrypto)
	if client {
		h.Google.Hellos, h.Google.Err = quic.ParseGoogleHellos(clientHS)
		if len(h.Google.Hellos) > 0 {
			h.Google.Hello = h.Google.Hellos[0]
		}
	}
	return true
}

// ServerName is the server name the client asked for: its ClientHello's
// SNI, or a Google QUIC CHLO's; empty when it named none.
func (h *Handshake) ServerName() string {
	switch {
	case h.Client != nil:
		return h.Client.ServerName
	case h.Google != nil && h.Google.Hello != nil:
		return h.Google.Hello.SNI
	}
	return ""
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
// selected (in its ServerHello, else in a HelloRetryRequest), else the
// highest the client offered, TLS 1.3 drafts counted (above TLS 1.2).
// A hello cut short tells its version only when the field that holds it
// was read (ServerHello: see selected; ClientHello: offered), else the
// other side's, else 0: a TLS 1.3 hello says TLS 1.2 in its legacy field,
// so one cut before its supported_versions would pass for TLS 1.2.
func (h *Handshake) Version() uint16 {
	v, _ := h.version()
	return v
}

// VersionName is Version in Suricata's spelling (see VersionName), read
// as Suricata reads TLS 1.3 drafts: a hello whose legacy version field
// says TLS 1.3 comes from a draft before 16 (later drafts and RFC 8446 put
// TLS 1.2 there and the real version in supported_versions), so it is
// "TLS 1.3 draft-<16". A draft is never reported as TLS 1.2.
func (h *Handshake) VersionName() string {
	v, legacy := h.version()
	if legacy && v == VersionTLS13 {
		return versionPreDraft16
	}
	return VersionName(v)
}

// version is Version, and whether it came from a hello's legacy version
// field rather than supported_versions.
func (h *Handshake) version() (v uint16, legacy bool) {
	if sf := h.Server; sf != nil {
		for _, sh := range [...]*ServerHello{sf.ServerHello, sf.HelloRetryRequest} {
			if sh == nil {
				continue
			}
			if v, legacy, ok := sh.selected(); ok {
				return v, legacy
			}
		}
	}
	if h.Client == nil {
		return 0, false
	}
	v, legacy, ok := h.Client.offered()
	if !ok {
		return 0, false
	}
	return v, legacy
}

// offered is the highest version the client offered, whether it came
// from the legacy version field, and whether the hello told it: a
// truncated hello does when its supported_versions extension was read, or
// when its legacy version is not TLS 1.2's (a client offering TLS 1.3 puts
// 0x0303 there), as ServerHello.selected.
func (ch *ClientHello) offered() (v uint16, legacy, ok bool) {
	v, legacy = ch.Version, true
	for _, sv := range ch.SupportedVersions {
		if versionRank(sv) > versionRank(v) {
			v, legacy = sv, false
		}
	}
	if ch.Truncated && !ch.HasExtension(ExtSupportedVersions) && (ch.Version == 0 || ch.Version == VersionTLS12) {
		return 0, false, false
	}
	return v, legacy, true
}

// Resumed reports whether the server resumed an earlier session instead
// of a full handshake. TLS 1.3: its ServerHello accepted a pre-shared key
// (the pre_shared_key extension). TLS 1.2 and older: it echoed the
// client's non-empty session id, or the client offered a session ticket
// and the server's clear flight ended with ChangeCipherSpec, without a
// Certificate or ServerHelloDone.
func (h *Handshake) Resumed() bool {
	if h.Server == nil || h.Server.ServerHello == nil || h.Client == nil {
		return false
	}
	sf, sh, ch := h.Server, h.Server.ServerHello, h.Client
	if sh.SSLv2 {
		return false
	}
	v, _, ok := sh.selected()
	if !ok {
		// Cut before its version shows: an echoed session id is a TLS 1.3
		// server's legacy_session_id_echo as much as a resumption.
		return false
	}
	if isTLS13(v) {
		return sh.HasExtension(ExtPreSharedKey)
	}
	if len(ch.SessionID) > 0 && string(ch.SessionID) == string(sh.SessionID) {
		return true
	}
	return ch.offersTicket() && sf.endedByCCS && !slices.Contains(sf.MessageTypes, typeCertificate) &&
		!slices.Contains(sf.MessageTypes, typeServerHelloDone)
}
