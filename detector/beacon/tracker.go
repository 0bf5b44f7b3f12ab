package beacon

import (
	"net/netip"
	"sync"
	"time"
)

// Event is one finished flow, as the sensor hands it out.
type Event struct {
	Time   time.Time // connection start (packet time)
	FlowID uint64
	Client netip.Addr
	Server netip.AddrPort
	// SNI and JA4 may be empty. The tracker keeps them (so they should not
	// alias memory the caller reuses); names over 255 bytes (JA4 over 64)
	// are keyed and kept by their start.
	SNI, JA4                     string
	BytesToServer, BytesToClient uint64
}

// Stats counts what the tracker has done, for metrics.
type Stats struct {
	Events               uint64 // events added
	BadTime              uint64 // events refused: a time out of range (zero, before 1970, after 2255)
	Late                 uint64 // connections older than their pair's window, or than all its full ring holds: not kept
	Pairs                int    // pairs tracked now
	PairEvictions        uint64 // pairs evicted to make room for new ones
	Destinations         int    // destinations whose clients are counted now
	DestinationEvictions uint64
	Scorings             uint64 // pairs scored
	Findings             uint64 // new findings (one per pair per window)
	Updates              uint64 // updated findings
}

// Tracker finds beacons in a stream of finished flows. It is safe for
// concurrent use: one mutex guards it (each Add holds it for about a
// microsecond; see BenchmarkAddParallel). The result depends on the order
// of the events only where several goroutines race to add them.
type Tracker struct {
	mu        sync.Mutex
	cfg       Config
	threshold float64
	clock     int64 // latest event time, Unix nanoseconds
	pairs     pairTable
	dests     destTable
	network   netClients
	stats     Stats
	scratch   scratch
	// onScore, when set (by tests), sees every scoring.
	onScore func(p *pair, sc *scored)
}

// scratch holds the buffers one scoring uses.
type scratch struct {
	xs, folded, dev, singles []float64
	up, down                 []float64
}

// NewTracker builds a tracker from cfg (validated, with defaults filled).
func NewTracker(cfg Config) (*Tracker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Tracker{cfg: cfg, threshold: cfg.Threshold}
	t.pairs = newPairTable(&t.cfg)
	t.dests = newDestTable(&t.cfg)
	t.network = newNetClients()
	r := cfg.RingLen
	t.scratch = scratch{
		xs: make([]float64, r), folded: make([]float64, r), dev: make([]float64, r), singles: make([]float64, r),
		up: make([]float64, r), down: make([]float64, r),
	}
	return t, nil
}

// Config returns the configuration in use (defaults filled in; the
// threshold as set last).
func (t *Tracker) Config() Config {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.cfg
	c.Threshold = t.threshold
	return c
}

// SetThreshold replaces the threshold (on a configuration reload); the
// pairs and their history stay. A pair already reported in its window is
// not reported again because of it.
func (t *Tracker) SetThreshold(x float64) error {
	if err := checkThreshold(x); err != nil {
		return err
	}
	t.mu.Lock()
	t.threshold = x
	t.mu.Unlock()
	return nil
}

// Stats returns the counts so far.
func (t *Tracker) Stats() Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.stats
	s.Pairs = t.pairs.len()
	s.Destinations = t.dests.len()
	return s
}

// countClient counts pair p's client at its destination and in the
// network.
func (t *Tracker) countClient(p *pair, client netip.Addr, ts, epoch int64) {
	h := uint32(hashAddr(t.cfg.Seed^0xc1, client) >> 32)
	t.network.add(epoch, h)
	ds, evicted := t.dests.touch(p.dest, ts, t.clock-int64(t.cfg.Window))
	if evicted {
		t.stats.DestinationEvictions++
	}
	t.dests.at(ds).clients.add(epoch, h)
	p.destSlot, p.destEpoch = ds, epoch
}

// backoffBelow is the share of the threshold under which a pair's scorings
// back off.
const backoffBelow = 0.75

// maxUnixSeconds is the latest time an event may carry (2255; Unix
// nanoseconds fit an int64 until 2262); the earliest is 1970.
const maxUnixSeconds = 9_000_000_000

// Add records one finished flow. It returns a finding when the flow's pair
// scores at or above the threshold and has not been reported in the
// current window (Finding.Update false), or when a reported pair's count
// of connections has doubled since its last report (Update true, the same
// ID): at most one finding and about log2(connections) updates per pair per
// window. Time is the events' own (packet time), never the wall clock.
func (t *Tracker) Add(ev Event) (Finding, bool) {
	f, found, _ := t.Observe(ev)
	return f, found
}

// Rhythm is where a flow's pair stands once the flow is added: Beacon
// when the pair's latest scoring reached the threshold and it was reported
// in the current window, so that the flow's own verdict can say it is one
// of a beacon's connections.
type Rhythm struct {
	Beacon bool
	ID     uint64        // the pair's finding in this window
	Period time.Duration // at the latest scoring
	Count  int64         // the pair's connections so far
	Score  float64       // the latest scoring's
}

// Observe is Add that also says where the flow's pair stands.
func (t *Tracker) Observe(ev Event) (Finding, bool, Rhythm) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sec := ev.Time.Unix()
	if sec < 0 || sec > maxUnixSeconds {
		t.stats.BadTime++
		return Finding{}, false, Rhythm{}
	}
	ts := ev.Time.UnixNano()
	t.stats.Events++
	t.clock = max(t.clock, ts)
	window := int64(t.cfg.Window)
	// Windows of prevalence counts follow each event's own time, so one
	// event with a wild time cannot age every count at once.
	epoch := ts / window

	sni, ja4 := capName(ev.SNI, maxSNILen), capName(ev.JA4, maxJA4Len)
	pt := &t.pairs
	ph, dh, bySNI := pt.keyOf(&ev, sni, ja4)
	s := pt.find(ph, &ev, sni, ja4, bySNI)
	if s < 0 {
		var evicted bool
		s, evicted = pt.alloc(ph, t.clock)
		if evicted {
			t.stats.PairEvictions++
		}
		p := pt.at(s)
		p.dest, p.client, p.bySNI, p.destEpoch = dh, ev.Client, bySNI, -1
		p.sni, p.ja4 = keepName(sni, len(ev.SNI)), keepName(ja4, len(ev.JA4))
	}
	p := pt.at(s)
	if p.destEpoch != epoch {
		// Once per pair per window: count the client at its destination
		// and in the network.
		t.countClient(p, ev.Client, ts, epoch)
	}
	p.server = ev.Server // the latest, where it is not the key
	if !pt.record(s, ts, ev.FlowID, saturate32(ev.BytesToServer), saturate32(ev.BytesToClient)) {
		t.stats.Late++
		return Finding{}, false, Rhythm{}
	}
	if int(p.n) < t.cfg.MinConns || (p.evalGap != 0 && p.sinceEval < p.evalGap) {
		return Finding{}, false, t.rhythm(p)
	}
	p.sinceEval = 0
	t.stats.Scorings++
	// The latest SNI and JA4 where they are not the key (kept at scorings
	// only: comparing them on every event costs a cache line).
	if p.sni != sni {
		p.sni = keepName(sni, len(ev.SNI))
	}
	if p.ja4 != ja4 {
		p.ja4 = keepName(ja4, len(ev.JA4))
	}
	if t.dests.at(p.destSlot).hash != p.dest {
		t.countClient(p, ev.Client, ts, epoch) // its destination was evicted since
	}
	sc := t.score(s, p.destSlot, epoch)
	if t.onScore != nil {
		t.onScore(p, &sc)
	}
	// A pair far below the threshold waits twice as long for its next
	// scoring, up to a whole ring: most pairs are not beacons, and scoring
	// is most of the cost.
	if sc.score < backoffBelow*t.threshold {
		p.evalGap = min(2*max(p.evalGap, int32(t.cfg.EvalEvery)), int32(t.cfg.RingLen))
	} else {
		p.evalGap = int32(t.cfg.EvalEvery)
	}
	if sc.score < t.threshold {
		p.beatAt = 0
		return Finding{}, false, Rhythm{}
	}
	p.beatAt, p.beatScore = max(int64(sc.rh.period), 1), float32(sc.score)
	update := p.reportAt != 0 && p.last-p.reportAt < window
	switch {
	case !update:
		p.reportAt, p.reportSeq, p.reportN = p.last, 1, p.count
		t.stats.Findings++
	case p.count >= 2*p.reportN:
		p.reportSeq++
		p.reportN = p.count
		t.stats.Updates++
	default:
		return Finding{}, false, t.rhythm(p)
	}
	return t.finding(s, &sc, update), true, t.rhythm(p)
}

// rhythm is pair p's standing: a beacon while its latest scoring reached
// the threshold within the window of its finding.
func (t *Tracker) rhythm(p *pair) Rhythm {
	if p.beatAt == 0 || p.reportAt == 0 || p.last-p.reportAt >= int64(t.cfg.Window) {
		return Rhythm{}
	}
	return Rhythm{Beacon: true, ID: mix(p.hash, uint64(p.reportAt)), Period: time.Duration(p.beatAt), Count: p.count, Score: float64(p.beatScore)}
}
