// Package tlsparse parses the cleartext start of a TLS connection, one
// direction at a time, as a passive sensor sees it.
//
// The input to every parser is the in-order byte stream of one TCP
// direction, starting at a TLS record boundary (the caller has skipped any
// plaintext such as a STARTTLS exchange). The stream may be cut anywhere:
// the sensor keeps at most 16 KiB and a capture may stop mid-message.
//
// QUIC carries the same handshake messages in the CRYPTO frames of its
// Initial packets, without the record layer: ParseQUICFlow (and FromFlow
// for a QUIC flow) parses those streams, and its flow's fingerprints carry
// JA4's QUIC transport ('q').
//
// The parsers treat the input as hostile. They never panic, always finish in
// time linear in the input, and never allocate more than the input size
// because of a length read from the wire. Parse failures are returned as
// errors that wrap one of the sentinels ErrTruncated, ErrNotTLS,
// ErrMalformed or ErrNoHello, so callers can test them with errors.Is. A
// truncated hello still returns what was parsed before the cut, with
// Truncated set, but nothing is derived from what the cut took away: a
// truncated hello has no fingerprints, and a version or cipher suite is
// only reported when its field was read (Handshake.Version,
// ServerHello.HasCipherSuite).
//
// What it covers:
//
//   - the record layer, SSL 3.0 to TLS 1.3, with handshake messages
//     reassembled across records, and the SSLv2-compatible ClientHello;
//   - ParseClientHello: versions, ciphers, extensions and the values of the
//     extensions that fingerprints and alerts need;
//   - ParseServerFlight: ServerHello (or HelloRetryRequest), and for
//     TLS 1.2 and older the cleartext Certificate message, with the leaf
//     certificate summarised in the form Suricata's eve.json uses;
//   - fingerprints: JA3 and JA3S as Wireshark 4.0 computes them, JA3N (JA3
//     with sorted extensions), and JA4 with its raw and original-order
//     variants as FoxIO's specification defines them;
//   - Sniff: a short label for what a stream that is not TLS looks like.
//
// Results own their memory: no slice in a result aliases the input stream,
// so the caller may reuse its buffer. The exception is FromFlow, whose
// result aliases the finished flow's handshake bytes (which never change)
// rather than paying for a copy of every flow's hellos and certificates.
package tlsparse
