package beacon

import (
	"cmp"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"
)

// The generator writes event streams with known truth: beacons of many
// periods, jitters and shapes among benign traffic of human shape and
// benign periodic polling of popular servers. Everything comes from a seeded
// PCG, so a seed is the same stream on every run and machine.

// family is a kind of generated pair.
type family int

const (
	famBeaconUniform   family = iota // sleep × (1 ± j), uniform
	famBeaconGauss                   // sleep × (1 + N(0, (j/2)²)): 95% within ± j
	famBeaconSleepLess               // sleep × (1 - U(0, j)), as Cobalt Strike's jitter (held out of tuning)
	famHuman                         // bursty sessions, session starts Poisson with a daily cycle
	famPoisson                       // Poisson connections with a daily cycle
	famPopular                       // many clients polling the same update server
	numFamilies
)

var familyNames = [...]string{"beacon uniform", "beacon gauss", "beacon sleep-less", "human sessions", "poisson daily", "popular polling"}

func (f family) String() string { return familyNames[f] }
func (f family) beacon() bool   { return f <= famBeaconSleepLess }

// truth is what the generator made a pair to be.
type truth struct {
	fam      family
	period   time.Duration // beacons and polling
	jitter   float64       // beacons and polling: the j above
	conns    int           // connections generated
	inWindow int           // most connections in any one window (DefaultWindow)
}

// pairID names a generated pair (KeyServer pairs).
type pairID struct {
	client netip.Addr
	server netip.AddrPort
}

// genSpec sizes a stream.
type genSpec struct {
	span           time.Duration // the whole stream
	clients        int           // network size
	beacons        int           // implants per beacon family (10% of them on two hosts)
	human, poisson int           // benign pairs of those families
	popularServers int
	popularClients [2]int // clients per popular server, min and max
	families       []family
	outOfOrder     bool // deliver events in end-of-connection order
	// sameSizes gives every connection of a benign pair the same sizes, as
	// when the sensor hands flows out once their handshake is complete and
	// their byte counts are the handshake's: the size part then tells
	// nothing, and the rest must carry the score.
	sameSizes bool
	// staggered makes every host of a popular poll start at a random time
	// in the first half of the span, instead of most of them polling
	// already when the stream starts (a fleet seen from a sensor that
	// starts among it): the first hosts then poll alone for a while.
	staggered bool
}

var genStart = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

// defaultSpec is the acceptance figures' stream: 3 days, 2,000 clients,
// about 12,000 benign pairs, about 1.2 M connections.
func defaultSpec() genSpec {
	return genSpec{
		span: 72 * time.Hour, clients: 2000,
		beacons: 400, human: 5000, poisson: 5000,
		popularServers: 12, popularClients: [2]int{20, 300},
		families:   []family{famBeaconUniform, famBeaconGauss, famBeaconSleepLess, famHuman, famPoisson, famPopular},
		outOfOrder: true,
	}
}

// genPair is a generated pair's identity.
type genPair struct {
	id       pairID
	sni, ja4 string
	truth    *truth
}

// genConn is one generated connection, compact (no pointers: millions of
// them cost the garbage collector nothing).
type genConn struct {
	start, end int64 // Unix nanoseconds
	pair       int32
	up, down   uint32
}

// stream is a generated stream: connections in the order the sensor would
// hand them out (their end, or their start when not out of order).
type stream struct {
	pairs []genPair
	conns []genConn
	truth map[pairID]*truth
}

// event is the stream's i-th event; flow ids are the delivery order.
func (s *stream) event(i int) Event {
	c := &s.conns[i]
	p := &s.pairs[c.pair]
	return Event{
		Time: time.Unix(0, c.start), FlowID: uint64(i + 1), Client: p.id.client, Server: p.id.server,
		SNI: p.sni, JA4: p.ja4, BytesToServer: uint64(c.up), BytesToClient: uint64(c.down),
	}
}

type generator struct {
	r      *rand.Rand
	spec   genSpec
	s      stream
	nextIP uint32
	sites  map[int]netip.AddrPort // human sites by Zipf rank
	zipf   *rand.Zipf
}

func generate(seed uint64, spec genSpec) *stream {
	g := &generator{r: rand.New(rand.NewPCG(seed, 0x6265616)), spec: spec, sites: map[int]netip.AddrPort{}}
	g.s.truth = map[pairID]*truth{}
	g.s.conns = make([]genConn, 0, 1<<20)
	for _, f := range spec.families {
		switch {
		case f.beacon():
			for range spec.beacons {
				g.beacon(f)
			}
		case f == famHuman:
			for range spec.human {
				g.human()
			}
		case f == famPoisson:
			for range spec.poisson {
				g.poisson()
			}
		case f == famPopular:
			for range spec.popularServers {
				g.popular()
			}
		}
	}
	key := func(c *genConn) int64 {
		if spec.outOfOrder {
			return c.end
		}
		return c.start
	}
	// Ties by pair and start, so the order is total and the same every run.
	slices.SortFunc(g.s.conns, func(a, b genConn) int {
		return cmp.Or(cmp.Compare(key(&a), key(&b)), cmp.Compare(a.pair, b.pair), cmp.Compare(a.start, b.start))
	})
	g.s.countInWindows(DefaultWindow)
	return &g.s
}

// newPair registers a pair; it returns -1 when the generator drew one it
// already has (the caller skips it).
func (g *generator) newPair(id pairID, sni, ja4 string, tr *truth) int32 {
	if _, dup := g.s.truth[id]; dup {
		return -1
	}
	g.s.truth[id] = tr
	g.s.pairs = append(g.s.pairs, genPair{id: id, sni: sni, ja4: ja4, truth: tr})
	return int32(len(g.s.pairs) - 1)
}

func (g *generator) client() netip.Addr {
	i := g.r.IntN(g.spec.clients)
	return netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
}

// server returns a new server address no other pair has.
func (g *generator) server() netip.AddrPort {
	g.nextIP++
	i := g.nextIP
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{100, 64 + byte(i>>16&0x3f), byte(i >> 8), byte(i)}), 443)
}

// conn adds one connection of pair p; its duration decides when the flow
// ends and so when the sensor hands it out.
func (g *generator) conn(p int32, start time.Time, up, down float64) {
	dur := time.Duration(math.Exp(g.r.NormFloat64()*1.5) * float64(time.Second))
	dur = min(dur, 10*time.Minute)
	g.s.conns = append(g.s.conns, genConn{
		start: start.UnixNano(), end: start.Add(dur).UnixNano(), pair: p,
		up: uint32(min(max(up, 0), math.MaxUint32)), down: uint32(min(max(down, 0), math.MaxUint32)),
	})
	g.s.pairs[p].truth.conns++
}

func (g *generator) inSpan(t time.Time) bool {
	return !t.Before(genStart) && t.Before(genStart.Add(g.spec.span))
}

var genJA4s = []string{
	"t13d1516h2_8daaf6152771_02713d6af862", "t13d1715h2_5b57614c22b0_3d5424432f57",
	"t12d190700_d83cc789557e_7af1ed941c26", "t13d311100_e8f1e7e78f70_1f22a2ca17c4",
}

// beacon adds one implant: a period from 1 s to 1 h (log-uniform), a
// jitter from 0 to 50%, 8 to 400 beats (log-uniform) from a random start,
// 10% of beats missed, sizes constant or jittered (±20%). One in ten is on
// two hosts of the network, calling the same server.
func (g *generator) beacon(f family) {
	r := g.r
	period := time.Duration(math.Exp(r.Float64()*math.Log(3600)) * float64(time.Second))
	jitter := r.Float64() * 0.5
	beats := int(math.Exp(math.Log(8) + r.Float64()*math.Log(400.0/8)))
	server := g.server()
	sni := ""
	if r.IntN(2) == 0 {
		sni = "cdn" + string(rune('a'+r.IntN(26))) + ".example.net"
	}
	constSize := r.IntN(2) == 0
	up, down := 300+r.Float64()*3000, 500+r.Float64()*20000
	hosts := 1
	if r.IntN(10) == 0 {
		hosts = 2
	}
	for range hosts {
		p := g.newPair(pairID{g.client(), server}, sni, genJA4s[r.IntN(len(genJA4s))], &truth{fam: f, period: period, jitter: jitter})
		if p < 0 {
			continue
		}
		t := genStart.Add(time.Duration(r.Float64() * float64(g.spec.span)))
		for range beats {
			if !g.inSpan(t) {
				break
			}
			if r.Float64() >= 0.1 {
				u, d := up, down
				if !constSize {
					u *= 1 + 0.2*(2*r.Float64()-1)
					d *= 1 + 0.2*(2*r.Float64()-1)
				}
				g.conn(p, t, u, d)
			}
			t = t.Add(sleep(r, f, period, jitter))
		}
	}
}

// sleep is one beacon interval of the family's jitter shape.
func sleep(r *rand.Rand, f family, period time.Duration, j float64) time.Duration {
	p := float64(period)
	var x float64
	switch f {
	case famBeaconUniform:
		x = p * (1 + j*(2*r.Float64()-1))
	case famBeaconGauss:
		x = p * (1 + j/2*r.NormFloat64())
	case famBeaconSleepLess:
		x = p * (1 - j*r.Float64())
	}
	return time.Duration(max(x, 0.05*p))
}

// size is x, or same when the spec wants benign sizes all the same.
func (g *generator) size(x, same float64) float64 {
	if g.spec.sameSizes {
		return same
	}
	return x
}

// dailyRate is the relative activity at time t: low at night, high by day.
func dailyRate(t time.Time) float64 {
	h := float64(t.Sub(genStart)%(24*time.Hour)) / float64(time.Hour)
	return 1 + 0.9*math.Sin(2*math.Pi*(h-9)/24)
}

// nextPoisson is the next event of a Poisson process of mean rate (per
// second) modulated by the daily cycle (by thinning).
func (g *generator) nextPoisson(t time.Time, rate float64) time.Time {
	for {
		t = t.Add(time.Duration(g.r.ExpFloat64() / (rate * 1.9) * float64(time.Second)))
		if g.r.Float64()*1.9 < dailyRate(t) {
			return t
		}
	}
}

// human adds a person's use of one site (Zipf: a few popular sites many
// share, a long tail): sessions that start at random, more by day (1 to
// 24 a day), each a burst of connections 0.5 s to 1 min apart.
func (g *generator) human() {
	r := g.r
	if g.zipf == nil {
		g.zipf = rand.NewZipf(r, 1.1, 1, 20000)
	}
	rank := int(g.zipf.Uint64())
	s, ok := g.sites[rank]
	if !ok {
		s = g.server()
		g.sites[rank] = s
	}
	p := g.newPair(pairID{g.client(), s}, "", genJA4s[r.IntN(len(genJA4s))], &truth{fam: famHuman})
	if p < 0 {
		return
	}
	sessionRate := math.Exp(math.Log(1.0/86400) + r.Float64()*math.Log(24))
	meanGap := math.Exp(math.Log(0.5) + r.Float64()*math.Log(120))
	t := genStart
	for {
		t = g.nextPoisson(t, sessionRate)
		if !g.inSpan(t) {
			return
		}
		u := t
		for n := 1 + int(r.ExpFloat64()*6); n > 0 && g.inSpan(u); n-- {
			g.conn(p, u, g.size(math.Exp(6+1.5*r.NormFloat64()), 1800), g.size(math.Exp(9+2*r.NormFloat64()), 5200))
			u = u.Add(time.Duration(r.ExpFloat64() * meanGap * float64(time.Second)))
		}
	}
}

// poisson adds a pair whose connections come at random (Poisson, with the
// daily cycle), one per 3 h to one per 10 min: mail checked by hand, an
// API used now and then.
func (g *generator) poisson() {
	r := g.r
	p := g.newPair(pairID{g.client(), g.server()}, "", genJA4s[r.IntN(len(genJA4s))], &truth{fam: famPoisson})
	rate := math.Exp(math.Log(1.0/10800) + r.Float64()*math.Log(18))
	for t := g.nextPoisson(genStart, rate); g.inSpan(t); t = g.nextPoisson(t, rate) {
		g.conn(p, t, g.size(math.Exp(6+r.NormFloat64()), 1750), g.size(math.Exp(8+1.5*r.NormFloat64()), 4900))
	}
}

// popular adds an update server that 20 to 300 clients poll every 5 min
// to 1 h (one period for all), with jitter to 20% and 10% of polls
// missed. 70% of the hosts are polling when the stream starts, the others
// join at random times in its first half (all of them when staggered);
// each polls through 30 to 100% of the span.
func (g *generator) popular() {
	r := g.r
	s := g.server()
	period := time.Duration(math.Exp(math.Log(300)+r.Float64()*math.Log(12)) * float64(time.Second))
	jitter := r.Float64() * 0.2
	n := g.spec.popularClients[0] + r.IntN(g.spec.popularClients[1]-g.spec.popularClients[0]+1)
	up, down := 400+r.Float64()*1000, 2000+r.Float64()*5000
	for range n {
		p := g.newPair(pairID{g.client(), s}, "update.example.org", genJA4s[r.IntN(len(genJA4s))],
			&truth{fam: famPopular, period: period, jitter: jitter})
		if p < 0 {
			continue
		}
		from := genStart.Add(time.Duration(r.Float64() * float64(period)))
		if g.spec.staggered || r.Float64() < 0.3 {
			from = genStart.Add(time.Duration(r.Float64() * float64(g.spec.span) / 2))
		}
		to := from.Add(time.Duration((0.3 + 0.7*r.Float64()) * float64(g.spec.span)))
		for t := from; t.Before(to) && g.inSpan(t); t = t.Add(sleep(r, famBeaconUniform, period, jitter)) {
			if r.Float64() >= 0.1 {
				g.conn(p, t, up, down)
			}
		}
	}
}

// countInWindows fills each truth's inWindow: the most connections of the
// pair within any one window.
func (s *stream) countInWindows(window time.Duration) {
	times := make([][]int64, len(s.pairs))
	for i := range s.conns {
		c := &s.conns[i]
		times[c.pair] = append(times[c.pair], c.start)
	}
	for p, ts := range times {
		slices.Sort(ts)
		best, lo := 0, 0
		for hi := range ts {
			for ts[hi]-ts[lo] >= int64(window) {
				lo++
			}
			best = max(best, hi-lo+1)
		}
		s.pairs[p].truth.inWindow = best
	}
}
