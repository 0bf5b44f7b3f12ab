package beacon

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"time"
)

// Finding is a pair whose connections keep a rhythm: what an alert needs,
// with the evidence in numbers (Parts, the statistics) and in words
// (Reasons).
type Finding struct {
	// ID is the same for a pair's finding and its updates within one
	// window (a hash of the pair and the finding's first time).
	ID uint64
	// Update is false for the pair's first finding in the window, true
	// for the updated counts that follow it (each time the pair's
	// connections have doubled since the last report); Seq counts them:
	// 1 for the finding, 2 and on for its updates.
	Update bool
	Seq    int
	Key    Key
	Client netip.Addr
	// Server, SNI and JA4 are the latest connection's (where one of them
	// is the key, it is the pair's).
	Server   netip.AddrPort
	SNI, JA4 string
	// Destination is the pair's destination in words: the server name
	// (KeySNI) or the server address and port.
	Destination string

	Period time.Duration // median interval between connections, missed beats folded
	// Jitter is the interquartile range of the one-period intervals over
	// the period: the half-width of a uniform jitter (a sleep of 60 s ±
	// 20% gives about 0.2). Spread is the same in time.
	Jitter float64
	Spread time.Duration
	// Count is the pair's connections since FirstSeen (this run of
	// activity); Sampled the latest of them the statistics are over, and
	// Missed the beats that were missing among them.
	Count               int64
	Sampled, Missed     int
	FirstSeen, LastSeen time.Time // connection starts
	ToServer, ToClient  Size      // bytes per connection, over the sampled ones
	// Clients is the distinct clients that talked to the destination over
	// the last one or two windows (exact up to 16, estimated above);
	// NetworkClients the same for all destinations.
	Clients, NetworkClients int

	Score, Threshold float64
	Parts            Parts
	FlowIDs          []uint64 // the flow ids of the latest connections (up to 8, by start time, oldest first)
	Reasons          []string // the evidence in words, most telling first
}

// Size is the robust centre and spread of a pair's connection sizes.
type Size struct {
	Median, MAD float64 // bytes; MAD: median absolute deviation
}

// finding builds pair s's finding from its scoring.
func (t *Tracker) finding(s int32, sc *scored, update bool) Finding {
	p := t.pairs.at(s)
	rh := &sc.rh
	f := Finding{
		ID:        mix(p.hash, uint64(p.reportAt)),
		Update:    update,
		Seq:       int(p.reportSeq),
		Key:       t.cfg.Key,
		Client:    p.client,
		Server:    p.server,
		SNI:       p.sni,
		JA4:       p.ja4,
		Period:    time.Duration(rh.period),
		Spread:    time.Duration(sc.iqr),
		Jitter:    sc.iqr / rh.period,
		Count:     p.count,
		Sampled:   int(p.n),
		Missed:    rh.missed,
		FirstSeen: time.Unix(0, p.first).UTC(),
		LastSeen:  time.Unix(0, p.last).UTC(),
		ToServer:  Size{Median: sc.up.median, MAD: sc.up.mad},
		ToClient:  Size{Median: sc.down.median, MAD: sc.down.mad},
		Clients:   int(math.Round(sc.clients)),

		NetworkClients: int(math.Round(t.network.count())),
		Score:          sc.score,
		Threshold:      t.threshold,
		Parts:          sc.parts,
	}
	if p.bySNI {
		f.Destination = p.sni
	} else {
		f.Destination = p.server.String()
	}
	ring := t.pairs.ringOf(s)
	k := min(p.n, lastIDs)
	f.FlowIDs = make([]uint64, 0, k)
	for i := p.n - k; i < p.n; i++ {
		f.FlowIDs = append(f.FlowIDs, ring[wrap(p.head+i, int32(len(ring)))].id)
	}
	f.Reasons = f.reasons(rh, sc.onBeat, sc.tol, sc.chance)
	return f
}

// reasons says the evidence in words an analyst acts on.
func (f *Finding) reasons(rh *rhythm, onBeat int, tol, chance float64) []string {
	rs := make([]string, 0, 5)
	rs = append(rs, fmt.Sprintf("%s connections every %s ± %s (jitter %.0f%%) over %s",
		group(f.Count), fmtDur(f.Period), fmtDur(f.Spread), 100*f.Jitter, fmtDur(f.LastSeen.Sub(f.FirstSeen))))
	beat := fmt.Sprintf("%d of the last %d intervals within ±%.0f%% of the period (chance would put %.0f there)",
		onBeat, rh.intervals, 100*tol, chance*float64(rh.intervals))
	if rh.missed > 0 {
		beat += ", " + plural(rh.missed, "beat") + " missed"
	}
	if rh.short > 0 {
		beat += ", " + plural(rh.short, "extra connection")
	}
	if rh.gaps > 0 {
		beat += fmt.Sprintf(", %s over %d periods", plural(rh.gaps, "silence"), maxFold)
	}
	rs = append(rs, beat)
	rs = append(rs, fmt.Sprintf("sizes %s ± %s bytes to the server, %s ± %s back",
		group(int64(math.Round(f.ToServer.Median))), group(int64(math.Round(f.ToServer.MAD))),
		group(int64(math.Round(f.ToClient.Median))), group(int64(math.Round(f.ToClient.MAD)))))
	who := f.Destination
	if f.SNI != "" && f.SNI != who {
		who += " (" + f.SNI + ")"
	}
	switch {
	case f.Clients <= 1:
		rs = append(rs, fmt.Sprintf("only this client talks to %s", who))
	default:
		rs = append(rs, fmt.Sprintf("%d clients talk to %s (of about %s seen)", f.Clients, who, group(int64(f.NetworkClients))))
	}
	pa := &f.Parts
	rs = append(rs, fmt.Sprintf("score %.2f (threshold %.2f): intervals %.2f (beat %.2f, dispersion %.2f, skew %.2f), sizes %.2f, count %.2f, prevalence %.2f",
		f.Score, f.Threshold, pa.Interval, pa.Beat, pa.Dispersion, pa.Skew, pa.Size, pa.Count, pa.Prevalence))
	return rs
}

// plural writes n things, "1 beat" or "3 beats".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return group(int64(n)) + " " + thing + "s"
}

// FormatDuration writes a duration the way the findings' reasons do.
func FormatDuration(d time.Duration) string { return fmtDur(d) }

// fmtDur writes a duration the way people say it: 850 ms, 60.2 s, 47.0
// min, 2.5 h, 3.1 days.
func fmtDur(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < 2*time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d < 2*time.Hour:
		return fmt.Sprintf("%.1f min", d.Minutes())
	case d < 48*time.Hour:
		return fmt.Sprintf("%.1f h", d.Hours())
	default:
		return fmt.Sprintf("%.1f days", d.Hours()/24)
	}
}

// group writes n with thousands separators: 1,204.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
