// Package pipeline is the one path from packets to output that every
// command takes: a Source (capture files, or live AF_PACKET captures)
// fills one flow table per capture worker; each table gathers the flows
// it hands out into batches; the batches wait in a bounded queue for the
// workers; a worker parses each flow's TLS handshake once, scores the
// batch with its own scorer, judges every scored flow against the policy
// in effect (package verdict: threshold and allowlist, swapped atomically
// on reload; SetModel swaps the model and its policy as one, each worker
// making its scorer of the new model before its next batch) and hands
// the batch to the Sink, which encodes it on the
// worker and commits it (in table order when the pipeline is Ordered).
//
// Between parsing and scoring, each batch gathers its flows' context
// (gather.go) in the order the tables handed them out: an ordered
// pipeline's batch waits for the batch sent before it to have gathered,
// an unordered one's take turns. There every flow a table hands out
// (scored or not, shed, without payload) is added to the beacon tracker
// (Config.Beacons), a flow of a found beacon takes a rhythm fact for its
// score (unless the model's training knows its pair as periodic), and a
// resumed session takes what its server's certificate
// showed in an earlier full handshake (detector/recall). The tracker's
// findings that the allowlist lets through become periodic-connections
// alert records (Batch.Beacons) that the sink writes at Commit. Shed
// flows count by their addresses only: their handshakes are not parsed
// (shedding is for overload).
//
// Sinks: RecordSink writes eve JSON records (tlsentry flows and score),
// LogSink writes the daemon's alert and flow logs, Collector keeps the
// flows (training and evaluation sets; LoadFlows and ReadFlows read
// capture files with it).
//
// While a live capture runs, a batch that finds the queue full is dropped
// and counted rather than stalling the capture ring; once the source has
// stopped (end of the files, or shutdown) the tables are flushed and every
// flow left is handled.
package pipeline
