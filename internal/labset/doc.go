// Package labset makes labelled flows for evaluating detectors: benign
// TLS from several client set-ups of Go's crypto/tls ("stacks"), and
// anomalies by kind (non-TLS on 443, cut or broken hellos, legacy TLS,
// odd cipher lists without SNI, self-signed servers), written as pcap by
// the capgen generator. Every flow is a real handshake or a real
// protocol exchange; the labels come from how it was made.
package labset
