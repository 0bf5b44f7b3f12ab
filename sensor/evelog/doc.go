// Package evelog writes the sensor's alerts and flow records as JSON
// lines in the shape of Suricata's eve.json.
//
// Every line is one object that starts with "timestamp" (the packet time
// of the event in Suricata's layout, with microseconds, in UTC:
// 2024-03-01T12:04:05.123456+0000), "event_type" ("alert", "flow" or
// "tls") and "host" (the sensor's name, as Suricata names it), followed
// by the members of the record the caller encoded. The header is written
// by a zap JSON core; the record arrives already encoded (the sensor's
// flow records have a hand-written encoder, for speed) and is spliced in
// as raw bytes, neither parsed nor re-encoded.
//
// Output goes to a file, to a console writer, or both, and each line
// also to a tee when one is set (the NATS output). The file rotates
// by size and by age (alerts.json → alerts.json.1 → ... → .N, then a new
// alerts.json, so `tail -F` follows), and Reopen reopens it by name after
// an external logrotate moved it away (the daemon calls it on SIGUSR1).
// File lines are buffered (64 KiB) and reach the file at most a tenth of a
// second after Write returned, sooner when the buffer fills, and before
// a rotation, Reopen, Reconfigure to another path, Sync or Close; a line
// is never split across files or write calls. Buffered lines that cannot
// be written are told to Config.WriteFailed; the part of a line a full
// disk cut short is cut off the file again (or, where it cannot be,
// ended with a newline of its own), so the next line is never glued to
// it. The console and the tee get
// each line at once, in the order the file gets them. Reopen also makes the file's directory again when it was
// removed. A file moved or removed without a Reopen is noticed within a
// second (the path is compared with the open file, two stat calls at
// most a second) and opened again by name, and Config.Followed is told:
// lines no longer go unread into a deleted file. Reconfigure switches
// paths, rotation or sensor name at once for a config reload. A Log is
// safe for concurrent use.
package evelog
