// Package evidence holds the protocol checks that mean something on any
// network (layer 1 of the detector): a client that does not speak TLS on a
// TLS port, a malformed or cut handshake, SSL 3.0 or TLS 1.0 as the best a
// client offers, export/NULL/anonymous cipher suites, no or odd server
// names, self-signed certificates, certificates whose names do not cover
// the server name or whose validity is odd, certificates whose names
// nobody chose (placeholders left from a template or a test, names that
// look machine-generated), certificates of a private CA or a TLS 1.3
// turn too small for a public chain, bytes before the handshake,
// handshake messages benign clients never send, records without a
// handshake, a server that speaks first or a client that answers as the
// server, hellos that contradict themselves or answer what was never
// offered.
//
// No weight is set by hand. Each check's weight is its surprise in bits
// against a benign corpus, -log2 of its smoothed firing rate among the
// corpus flows it applies to, computed when a model is built (Calibrate)
// and stored in the model file. The corpus is also counted by era (when
// it was captured): where an era's rate of a check differs from the rest
// beyond chance, a flow of that era is judged with it (TLS 1.0 as a
// client's best was common before 2020 and is rare since). Checks that
// state one fact belong to one group, and a group adds only its strongest
// check, so that a fact is never counted twice.
//
// Catalog says in words what makes each check fire, and
// Table.Calibrations what each weighs, era by era: `tlsentry model show`
// prints them, and docs/checks.md lists the embedded default's.
package evidence
