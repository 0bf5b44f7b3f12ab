// Package transcript says what each side of a flow sent in the clear
// before and around its TLS handshake, as far as the flow's first bytes
// show it: the bytes that came before the first handshake record (none,
// an HTTP request, a proxy CONNECT, a PROXY protocol header, a STARTTLS
// exchange, something else) and the TLS records that followed, with
// their content types and, while they are still in clear, the handshake
// message types they carry, in order.
//
// Benign clients open with a ClientHello at byte 0; TLS after a plaintext
// preamble, a certificate from the client, application data before the
// handshake, heartbeats, unknown content types or records that carry no
// handshake at all (TLS-looking obfuscation) are what this package lets
// the detector see. It reads only the flow's prefix (at most
// flow.PrefixSize bytes) and its kept handshake bytes, never allocates
// more than a fixed amount per flow, and never panics.
package transcript
