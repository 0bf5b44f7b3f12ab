// Package sensor gets packets to the flow tables and flows to verdicts:
// capture sources (pcap and pcapng files; AF_PACKET live), link-layer to
// TCP decoding with tunnel decapsulation, and the daemon's pipeline.
//
// The pipeline (Pipeline.Run) wires a PacketSource (LiveInput or
// FileInput) to one flow table per capture worker, the tables to a
// bounded queue, the queue to a batcher (a batch goes when full or when
// its first flow has waited long enough), and the batches to scoring
// workers, each with its own scorer. A worker parses each flow's
// handshake once, scores the batch, judges every flow against the alert
// policy in effect (threshold and allowlist, swapped atomically on
// reload) and writes alert and flow log lines (package alertlog). While a
// live capture runs, a flow that finds the queue full is dropped and
// counted rather than stalling the capture ring; once the source has
// stopped (end of the files, or shutdown) the tables are flushed and every
// flow left is scored.
//
// Log lines carry packet times: an alert the time of its flow's last
// packet, a flow line that of its first. Every time in a line, the
// header's and the record's start and end, is written in Suricata's
// eve.json layout, in UTC.
package sensor
