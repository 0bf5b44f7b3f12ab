// Package ratelimit holds alerts back the way Suricata's threshold.config
// does with "type limit": per signature (or for all), tracked by source,
// destination, both, the client fingerprint or the signature alone, the
// first Count alerts of each Window are written and the rest are held
// back and counted; the next alert written after a held-back run says how
// many were held back since the one before (alerts_suppressed), and the
// metrics count them all. Time is the alerts' packet time, so a capture
// gives the same alerts on every run.
//
// A Limiter's memory is bounded (MaxTracked tracks; the least recently
// used gives way, counted), and its rules can be swapped on reload
// without losing the counts of the tracks they keep.
package ratelimit
