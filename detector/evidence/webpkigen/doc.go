// Command webpkigen writes the table of public Web PKI root names that the
// evidence check cert.private_issuer looks chains up in (webpki_roots.tsv):
// one row per distinct root subject, the Name's DER content octets in hex
// and the name as tlsentry renders it. It reads certificates from
// the files named on the command line: PEM (also PEM kept as JavaScript
// string literals, as old npm root bundles ship it) or concatenated DER.
// fetch.sh gathers the sources and runs it.
//
// Usage: go run ./detector/evidence/webpkigen -o FILE [-source TEXT]... FILE...
package main
