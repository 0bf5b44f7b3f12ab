// Package natsout publishes the sensor's eve records (alerts, flows) to
// NATS JetStream, beside the log files, without ever making the capture
// wait for the network.
//
// Each record goes to the subject PREFIX.TYPE (tlsentry.<sensor>.alert by
// default) with a Nats-Msg-Id made of the sensor's name, a random id of
// the run and the record's sequence number, so that the stream's
// duplicate window drops the copy a resend makes. Records are the eve
// log's lines, byte for byte (without the newline): the alert and flow
// logs forward each line they write to a Writer.
//
// A Writer never blocks: it hands the record to a bounded in-memory queue,
// or, when the queue is full (the server is slow or away) or the spool
// already holds records, appends it to the on-disk spool. One publisher
// goroutine sends records asynchronously with at most MaxInFlight
// unacknowledged; when a send fails or its acknowledgement does not come
// in time, it stops sending until the client has had its word on every
// record in flight, then sends the ones that failed again, in order,
// once the server is back, then the queue, then the spool. The spool is bounded: when it
// fills, the oldest flow records go first and alerts last, and every
// record given up is counted by type and reason. Records still in hand
// when the sensor stops are spooled for its next start.
package natsout
