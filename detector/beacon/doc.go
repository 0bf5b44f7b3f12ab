// Package beacon finds beaconing: an implant calling home at a steady
// rhythm, whose bytes look like any other client's but whose connections
// keep time. It is fed every finished flow (Tracker.Add) and reports a
// Finding when the connections of one pair (a client and a destination:
// server address, SNI, or JA4 and server, as Config.Key says) come at a
// regular interval, in the spirit of RITA (Active Countermeasures) and
// Slips.
//
// # Score
//
// Each pair keeps its latest connections (start time, flow id, sizes) in
// a ring of Config.RingLen. Once it has Config.MinConns of them in the
// window it is scored, then again every Config.EvalEvery connections
// (less often while it scores far below the threshold). The score, from
// 0 to 1, is
//
//	Prevalence × Interval × (0.7 + 0.1 Size + 0.2 Count)
//
// where Interval is the rhythm: the period is the median interval once
// intervals of two to four periods (missed beats) are divided by their
// multiple; Beat is the share of intervals within ±10, 20, 30 or 50% of
// the period beyond what a random (Poisson) process would put there, each
// extra connection off the beat counting against; Dispersion (median
// absolute deviation about the median) and Skew (Bowley's) are measured on
// the one-period intervals. Size is the regularity of the sizes (median
// absolute deviation over the median), Count how many connections the
// statistics rest on, and Prevalence lets off a destination that many
// clients of the network call (Config.PopularClients). See Parts.
//
// A Finding carries the evidence in numbers and in words ("47 connections
// every 60.2 s ± 4.1 s (jitter 7%) over 47 min", "only this client talks
// to 203.0.113.7:443"). A pair gives one finding per window; while it goes
// on, updates with the same ID follow each time its connection count
// doubles (Finding.Update).
//
// # Bounds
//
// Memory is bounded by Config: at most MaxPairs pairs (each about 200
// bytes plus 24 per ring entry: 1.4 KB with a full default ring) and
// MaxDestinations destinations (about 190 bytes each), allocated as they
// fill; a pair's ring starts at 4 entries and doubles as its connections
// come, so a table of one-connection pairs stays small. When the
// pairs are all taken, a new pair takes the place of the lightest of 8
// sampled pairs: one silent for a whole window, else the one with the
// fewest connections in its ring, else the least recently seen. A scan of
// millions of distinct pairs thus churns through pairs of one connection
// while the heavy hitters, beacons among them, stay. (This is sampled
// least-frequent eviction, as Redis's LFU, rather than Space-Saving, whose
// inherited counts would let a scan's pairs pass for heavy hitters.)
// Distinct clients per destination are counted exactly up to 16 and
// estimated above (K minimum values), over the current and previous
// window.
//
// # Time
//
// Time is the events' (packet time), never the wall clock: a capture gives
// the same findings on every run. Events may come out of start order (flows
// are handed out when they end); a pair's ring keeps start order. Events
// whose time is out of range are refused and counted.
//
// # Concurrency
//
// A Tracker is safe for concurrent use; one mutex guards it (see
// BenchmarkAddParallel for its cost). With several goroutines adding, the
// order of events, and so a finding's exact moment, may vary run to run.
//
// Allowlists are the caller's: it checks a Finding's client, server, SNI
// and JA4 (or the flow that triggered it) before alerting. Feed allowed
// flows too: they count toward prevalence.
package beacon
