// Package sensor gets packets to the flow tables: capture sources (pcap
// and pcapng files; AF_PACKET live), link-layer to TCP decoding with
// tunnel decapsulation, and the pipeline that wires sources, flow tables
// and outputs together.
package sensor
