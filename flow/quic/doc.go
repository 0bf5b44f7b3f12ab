// Package quic reads the cleartext-keyed start of a QUIC connection as a
// passive sensor sees it: the Initial packets of both sides, whose keys
// derive from public values (RFC 9001 section 5.2), decrypted to their
// CRYPTO frames, which carry the TLS ClientHello and ServerHello as
// handshake messages without a record layer.
//
// A Conn holds the state of one UDP flow. The flow table hands it every
// UDP payload of the flow in order with the direction; Conn parses the
// long-header packets of each datagram (RFC 9000 section 17.2; coalesced
// packets included), removes header protection and opens the Initial
// packets with the Initial keys of the version (v1, v2 of RFC 9369, the
// IETF drafts 22 to 34, Facebook's mvfst and Google's T050, T051 and Q050),
// and reassembles each direction's CRYPTO stream by offset, first data
// wins, up to a byte limit. Retry and Version Negotiation packets are
// recognised and counted; 0-RTT, Handshake and short-header packets are
// skipped.
//
// The input is hostile. Nothing panics, every loop is bounded by the
// input, memory per Conn is bounded by the CRYPTO limit whatever arrives,
// and problems are counted in Info rather than returned: a flow that looks
// like QUIC but never decrypts is itself something to report. After a
// connection's key setup, packets cost no allocation beyond the growth of
// the CRYPTO buffers.
//
// LooksLikeQUIC is a cheap test of a first datagram, for deciding whether
// a UDP flow deserves a Conn.
//
// The CRYPTO streams hold TLS handshake messages; parse them with
// tlsparse.ParseClientHelloMessage and tlsparse.ParseServerHelloMessage,
// and fingerprint with JA4(tlsparse.TransportQUIC).
//
// Google's QUIC before TLS is read too. Q050 protects its Initials as
// above, but its stream holds Google QUIC Crypto's tag-value messages
// (ParseGoogleHello reads the client's CHLO; CYU fingerprints it). Q039 to
// Q043 (Google's public header) and Q046 send their handshake in clear: a
// flow of them opens on a client packet whose message hash checks, and the
// STREAM frames of stream 1 in the packets in clear make each side's
// stream, the encrypted ones being counted only.
package quic
