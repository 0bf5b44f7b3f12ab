// Package eve builds the JSON records tlsentry writes, in the layout of
// Suricata's eve.json so that SIEM parsers made for Suricata read them
// unchanged: the flow record (addresses, counters, times, the prefix),
// its tls object (versions, SNI, ALPN, cipher, JA3/JA3N/JA3S, JA4, the
// leaf certificate) and the detector's verdict.
//
// Records are encoded by hand rather than through encoding/json (a
// sensor writes one per flow, and reflection cost five times the rest of
// the record's work); the tests hold both encodings to the same values.
// Times are written in Suricata's layout (TimeFormat), in UTC.
package eve
