// Package tlsrecord recognises where TLS starts in a TCP byte stream: a
// record header that opens a hello, an SSLv2 hello, or a server's alert in
// place of its hello. The flow table's handshake capture (package flow)
// and the parsers (package flow/tlsparse) both decide with these rules, so
// a stream the capture keeps is a stream the parser reads, and the other
// way round.
//
// Every function looks only at the bytes it is given, never past them,
// and needs no more than a record header and the byte after it.
package tlsrecord
