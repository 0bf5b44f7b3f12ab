// Package recall remembers, per server, the evidence its certificate gave
// in a full handshake, for the sessions it resumes later: a resumed
// session sends no certificate, so a client that calls a self-signed
// command-and-control server once in full and then resumes would
// otherwise show nothing but its hello.
//
// Only servers whose certificate gave evidence are kept, with that
// certificate (a server that shows a clean certificate later is
// forgotten), at most the memory's size of them and DefaultBytes of their
// names (a certificate is kept without its DER); when full, the oldest
// kept gives way. A memory older than MaxAge
// (packet time: resumption lifetimes are hours, RFC 8446 caps tickets at
// seven days) is not recalled. Memory is safe for concurrent use; the
// sensor feeds it in the order flows are handed out, so that a capture
// gives the same verdicts on every run.
package recall
