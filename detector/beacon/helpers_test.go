package beacon

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// beat describes a test beacon: period, uniform jitter (a fraction of the
// period), the share of beats missed.
type beat struct {
	client, server string
	sni, ja4       string
	start          time.Time
	period         time.Duration
	jitter, missed float64
	n              int // beats
	up, down       uint64
	seed           uint64
	flowID         uint64 // first flow id
}

func (b beat) events() []Event {
	r := rand.New(rand.NewPCG(b.seed, 99))
	start := b.start
	if start.IsZero() {
		start = t0
	}
	var evs []Event
	at := start
	for i := range b.n {
		if r.Float64() >= b.missed {
			evs = append(evs, Event{
				Time: at, FlowID: b.flowID + uint64(i), Client: netip.MustParseAddr(b.client),
				Server: netip.MustParseAddrPort(b.server), SNI: b.sni, JA4: b.ja4,
				BytesToServer: b.up, BytesToClient: b.down,
			})
		}
		at = at.Add(time.Duration(float64(b.period) * (1 + b.jitter*(2*r.Float64()-1))))
	}
	return evs
}

// addAll adds events in order and returns the findings.
func addAll(tr *Tracker, evs []Event) []Finding {
	var fs []Finding
	for _, ev := range evs {
		if f, ok := tr.Add(ev); ok {
			fs = append(fs, f)
		}
	}
	return fs
}

func newTracker(tb testing.TB, cfg Config) *Tracker {
	tb.Helper()
	tr, err := NewTracker(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return tr
}

// mergeByTime merges event lists by start time (stable).
func mergeByTime(lists ...[]Event) []Event {
	var all []Event
	for _, l := range lists {
		all = append(all, l...)
	}
	// Insertion into time order; the lists are small.
	for i := 1; i < len(all); i++ {
		for j := i; j > 0 && all[j].Time.Before(all[j-1].Time); j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	return all
}

// checkInvariants checks the tables' structure: one index cell per live
// slot, each reachable from its home; rings in bounds and in start order.
func checkInvariants(tb testing.TB, tr *Tracker) {
	tb.Helper()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	pt := &tr.pairs
	if pt.len() > tr.cfg.MaxPairs {
		tb.Fatalf("%d pairs, max %d", pt.len(), tr.cfg.MaxPairs)
	}
	checkIndex(tb, "pairs", &pt.idx, pt.len(), func(s int) uint64 { return pt.at(int32(s)).hash })
	for s := range pt.len() {
		p := pt.at(int32(s))
		ring := pt.ringOf(int32(s))
		if p.n < 0 || int(p.n) > len(ring) || p.head < 0 || int(p.head) >= len(ring) {
			tb.Fatalf("pair %d: ring head %d, n %d, length %d", s, p.head, p.n, len(ring))
		}
		for i := int32(1); i < p.n; i++ {
			a, b := ring[wrap(p.head+i-1, int32(len(ring)))], ring[wrap(p.head+i, int32(len(ring)))]
			if a.t > b.t {
				tb.Fatalf("pair %d: ring out of order at %d: %d > %d", s, i, a.t, b.t)
			}
		}
		if len(p.sni) > maxSNILen || len(p.ja4) > maxJA4Len {
			tb.Fatalf("pair %d keeps a name of %d/%d bytes", s, len(p.sni), len(p.ja4))
		}
	}
	dt := &tr.dests
	if dt.len() > tr.cfg.MaxDestinations {
		tb.Fatalf("%d destinations, max %d", dt.len(), tr.cfg.MaxDestinations)
	}
	checkIndex(tb, "destinations", &dt.idx, dt.len(), func(s int) uint64 { return dt.at(int32(s)).hash })
}

func checkIndex(tb testing.TB, what string, x *index, n int, hash func(int) uint64) {
	tb.Helper()
	live := 0
	for _, c := range x.cells {
		if c != 0 {
			live++
		}
	}
	if live != n {
		tb.Fatalf("%s: %d index cells for %d slots", what, live, n)
	}
	for s := range n {
		h := hash(s)
		found := false
		for i := x.home(h); x.cells[i] != 0; i = (i + 1) & x.mask {
			if x.cells[i] == tag(h)|uint64(s+1) {
				found = true
				break
			}
		}
		if !found {
			tb.Fatalf("%s: slot %d not reachable from its home", what, s)
		}
	}
}
