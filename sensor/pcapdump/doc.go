// Package pcapdump writes, for an alert, the packets the sensor kept of
// its flow as a pcap file an analyst opens in Wireshark: the flow's first
// bytes (the prefix) and each direction's captured handshake, as TCP
// segments between the flow's two endpoints, after a three-way handshake
// (unless the capture picked the flow up mid-stream). The bytes are those
// the flow table kept, so memory stays within the table's bounds; what it
// did not keep (a gap, bulk data past the handshake) is not in the file.
//
// The folder is bounded: before a file is written, the oldest files go
// until the new one fits (files the writer finds there at start count,
// so the bound holds across restarts).
package pcapdump
