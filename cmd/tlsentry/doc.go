// Command tlsentry is a passive TLS anomaly sensor: it reads a span port
// (AF_PACKET) or capture files, reassembles each TCP flow's first 1024
// payload bytes and its TLS handshake, scores the flow with the detector
// and writes Suricata-style eve JSON records.
//
// The subcommands share one pipeline (sensor/pipeline): flows, extract,
// train, score, eval and heldout work on capture files; run is the
// daemon; check-config checks a configuration; model and config publish
// to a fleet over NATS. `tlsentry help` lists them, `tlsentry help
// COMMAND` gives a command's flags and `tlsentry help -man` the manual
// page (tlsentry.1, generated from the same text by go generate).
package main
