// Package scan finds TLS scanners by what no single client does: one
// address sending hellos of many different TLS stacks to one server in a
// short time. A scanner (testssl.sh, sslscan, nmap's ssl-enum-ciphers)
// probes which versions, suites and extensions a server accepts, one
// connection per question, each hello built for it; a client program
// keeps one stack, and a host's few programs give a few. Per flow, many
// of a scanner's hellos look like a browser's by design; together they
// are a scan.
//
// A scanner's questions are mostly turned down: the server answers what
// it does not take with an alert, not a ServerHello (Refused). The
// Tracker counts, per client address and server address and port, the
// distinct JA4 fingerprints (the stack's version, suites, extensions
// and ALPN) of the refused hellos within a window of the pair's first
// (Config: a minute by default); from the MinStacks-th on (8 by
// default), each hello of the pair is a scan's. Refused ones only,
// because one address behind a NAT carries the stacks of every host
// behind it, to the same popular servers, which accept them all. No pair
// of the public benign captures shows more than BenignMostRefused, below
// any MinStacks Config allows (none of BenignPairs is a scan): the fact a
// scan's flow takes weighs what that rate says, as a beacon's does.
package scan
