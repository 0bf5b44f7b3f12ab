package beacon

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestBeaconFinding(t *testing.T) {
	tr := newTracker(t, Config{})
	b := beat{client: "10.0.0.5", server: "203.0.113.7:443", sni: "c2.example.net", ja4: "t13d1516h2_8daaf6152771_02713d6af862",
		period: time.Minute, jitter: 0.1, missed: 0.1, n: 60, up: 1204, down: 5310, seed: 1, flowID: 1000}
	fs := addAll(tr, b.events())
	if len(fs) == 0 {
		t.Fatalf("no finding; stats %+v", tr.Stats())
	}
	f := fs[0]
	if f.Update || f.Seq != 1 || f.Key != KeyServer {
		t.Errorf("first finding: Update %v, Seq %d, Key %v", f.Update, f.Seq, f.Key)
	}
	if f.Client != netip.MustParseAddr("10.0.0.5") || f.Server != netip.MustParseAddrPort("203.0.113.7:443") ||
		f.SNI != b.sni || f.JA4 != b.ja4 || f.Destination != "203.0.113.7:443" {
		t.Errorf("identity: %v %v %q %q %q", f.Client, f.Server, f.SNI, f.JA4, f.Destination)
	}
	// The period and spread of 15 intervals drawn uniform in ±10%.
	if d := f.Period - time.Minute; d < -6*time.Second || d > 6*time.Second {
		t.Errorf("period %v, want about 1 min", f.Period)
	}
	if f.Jitter < 0.02 || f.Jitter > 0.2 {
		t.Errorf("jitter %v, want about 0.1", f.Jitter)
	}
	if f.Count < int64(DefaultMinConns) || f.Sampled != int(f.Count) || !f.LastSeen.After(f.FirstSeen) {
		t.Errorf("count %d, sampled %d, first %v, last %v", f.Count, f.Sampled, f.FirstSeen, f.LastSeen)
	}
	if f.ToServer != (Size{Median: 1204}) || f.ToClient != (Size{Median: 5310}) {
		t.Errorf("sizes %+v %+v", f.ToServer, f.ToClient)
	}
	if f.Clients != 1 || f.Parts.Prevalence != 1 || f.Parts.Size != 1 {
		t.Errorf("clients %d, parts %+v", f.Clients, f.Parts)
	}
	if f.Score < f.Threshold || f.Threshold != DefaultThreshold || f.Score > 1 {
		t.Errorf("score %v, threshold %v", f.Score, f.Threshold)
	}
	if len(f.FlowIDs) != lastIDs || !slices.IsSorted(f.FlowIDs) || f.FlowIDs[0] < 1000 {
		t.Errorf("flow ids %v", f.FlowIDs)
	}
	words := strings.Join(f.Reasons, "\n")
	for _, want := range []string{
		fmt.Sprintf("%d connections every %s ± ", f.Count, fmtDur(f.Period)),
		"intervals within ±",
		"sizes 1,204 ± 0 bytes to the server, 5,310 ± 0 back",
		"only this client talks to 203.0.113.7:443 (c2.example.net)",
		"score 0.",
	} {
		if !strings.Contains(words, want) {
			t.Errorf("reasons lack %q:\n%s", want, words)
		}
	}
	t.Logf("reasons:\n%s", words)
}

func TestRandomPairNoFinding(t *testing.T) {
	tr := newTracker(t, Config{})
	r := rand.New(rand.NewPCG(2, 2))
	at := t0
	var fs []Finding
	for i := range 2000 {
		at = at.Add(time.Duration(r.ExpFloat64() * float64(time.Minute)))
		ev := Event{Time: at, FlowID: uint64(i), Client: netip.MustParseAddr("10.0.0.9"), Server: netip.MustParseAddrPort("198.51.100.1:443"),
			BytesToServer: uint64(300 + r.IntN(3000)), BytesToClient: uint64(1000 + r.IntN(50000))}
		if f, ok := tr.Add(ev); ok {
			fs = append(fs, f)
		}
	}
	if len(fs) > 0 {
		t.Errorf("Poisson connections gave %d findings, the first: %v", len(fs), fs[0].Reasons)
	}
	if s := tr.Stats(); s.Scorings == 0 || s.Events != 2000 || s.Pairs != 1 {
		t.Errorf("stats %+v", s)
	}
}

// TestOneFindingPerWindow: a beacon running three days gives one finding
// per window, and updates in between only when its count doubles.
func TestOneFindingPerWindow(t *testing.T) {
	tr := newTracker(t, Config{Window: 24 * time.Hour})
	b := beat{client: "10.0.0.5", server: "203.0.113.7:443", period: 5 * time.Minute, jitter: 0.05, n: 3 * 24 * 12, up: 500, down: 900, seed: 3}
	fs := addAll(tr, b.events())
	var firsts []Finding
	for i, f := range fs {
		if !f.Update {
			firsts = append(firsts, f)
			continue
		}
		prev := fs[i-1]
		if f.ID != prev.ID || f.Seq != prev.Seq+1 || f.Count < 2*prev.Count {
			t.Errorf("update %d: id %x seq %d count %d after id %x seq %d count %d", i, f.ID, f.Seq, f.Count, prev.ID, prev.Seq, prev.Count)
		}
	}
	if len(firsts) != 3 {
		t.Errorf("%d findings in 3 days of a 24 h window, want 3", len(firsts))
	}
	for i := 1; i < len(firsts); i++ {
		if gap := firsts[i].LastSeen.Sub(firsts[i-1].LastSeen); gap < 24*time.Hour {
			t.Errorf("findings %d and %d only %v apart", i-1, i, gap)
		}
		if firsts[i].ID == firsts[i-1].ID {
			t.Errorf("findings %d and %d share an ID", i-1, i)
		}
	}
	s := tr.Stats()
	if s.Findings != uint64(len(firsts)) || s.Updates != uint64(len(fs)-len(firsts)) {
		t.Errorf("stats %+v for %d findings, %d updates", s, len(firsts), len(fs)-len(firsts))
	}
	if len(fs)-len(firsts) > 3*int(math.Log2(24*12))+3 {
		t.Errorf("%d updates: more than about log2(count) per window", len(fs)-len(firsts))
	}
}

func TestSetThreshold(t *testing.T) {
	tr := newTracker(t, Config{})
	evs := beat{client: "10.0.0.5", server: "203.0.113.7:443", period: time.Minute, jitter: 0.05, n: 200, up: 500, seed: 4}.events()
	if err := tr.SetThreshold(1); err != nil {
		t.Fatal(err)
	}
	if fs := addAll(tr, evs[:100]); len(fs) != 0 {
		t.Errorf("threshold 1: %d findings", len(fs))
	}
	for _, bad := range []float64{0, -1, 1.01, math.NaN(), math.Inf(1)} {
		if err := tr.SetThreshold(bad); err == nil {
			t.Errorf("SetThreshold(%v) accepted", bad)
		}
	}
	if got := tr.Config().Threshold; got != 1 {
		t.Errorf("threshold after refused changes: %v", got)
	}
	if err := tr.SetThreshold(0.5); err != nil {
		t.Fatal(err)
	}
	// The history stays: the next scoring (within EvalEvery connections,
	// or a few more while backed off) reports.
	fs := addAll(tr, evs[100:130])
	if len(fs) == 0 || fs[0].Count < 100 || fs[0].Threshold != 0.5 {
		t.Errorf("after lowering the threshold: %d findings %+v", len(fs), fs)
	}
}

// TestPrevalence: the same rhythm to one server from many clients (an
// update server) is let off; from one client it is a finding.
func TestPrevalence(t *testing.T) {
	tr := newTracker(t, Config{})
	var lists [][]Event
	for c := range 10 {
		lists = append(lists, beat{client: fmt.Sprintf("10.0.1.%d", c+1), server: "192.0.2.80:443", period: 10 * time.Minute,
			jitter: 0.05, n: 100, up: 400, down: 4000, seed: uint64(c), start: t0.Add(time.Duration(c) * time.Minute)}.events())
	}
	lists = append(lists, beat{client: "10.0.1.200", server: "203.0.113.9:443", period: 10 * time.Minute,
		jitter: 0.05, n: 100, up: 400, down: 4000, seed: 77}.events())
	fs := addAll(tr, mergeByTime(lists...))
	for _, f := range fs {
		if f.Server.Addr() == netip.MustParseAddr("192.0.2.80") {
			t.Errorf("popular server reported: %v", f.Reasons)
		}
	}
	if len(fs) == 0 || fs[0].Server != netip.MustParseAddrPort("203.0.113.9:443") {
		t.Fatalf("lone beacon not reported: %+v", fs)
	}
}

// TestWildTimeKeepsCounts: one event with a wild time (a corrupt capture)
// does not age every destination's client count.
func TestWildTimeKeepsCounts(t *testing.T) {
	tr := newTracker(t, Config{})
	server := netip.MustParseAddrPort("192.0.2.80:443")
	for c := range 10 {
		tr.Add(Event{Time: t0.Add(time.Duration(c) * time.Minute), Client: netip.AddrFrom4([4]byte{10, 0, 1, byte(c)}), Server: server})
	}
	tr.Add(Event{Time: t0.AddDate(100, 0, 0), Client: netip.MustParseAddr("10.9.9.9"), Server: netip.MustParseAddrPort("198.51.100.9:443")})
	tr.Add(Event{Time: t0.Add(11 * time.Minute), Client: netip.AddrFrom4([4]byte{10, 0, 1, 0}), Server: server})
	p := tr.pairs.at(0)
	if got := tr.dests.at(p.destSlot).clients.count(t0.UnixNano() / int64(DefaultWindow)); got != 10 {
		t.Errorf("after a wild time, %v clients counted at the server, want 10", got)
	}
}

// TestKeys: the same client calling one name on rotating addresses is one
// pair by SNI and many by server; two stacks on one host to one server
// are two pairs by JA4+server.
func TestKeys(t *testing.T) {
	var rotating []Event
	for i, ev := range (beat{client: "10.0.0.5", server: "203.0.113.1:443", sni: "c2.example.net", period: time.Minute, jitter: 0.05, n: 60, up: 300, seed: 5}).events() {
		ev.Server = netip.AddrPortFrom(netip.AddrFrom4([4]byte{203, 0, 113, byte(1 + i%7)}), 443)
		rotating = append(rotating, ev)
	}
	bySNI := newTracker(t, Config{Key: KeySNI})
	fs := addAll(bySNI, rotating)
	if len(fs) == 0 || fs[0].Destination != "c2.example.net" || fs[0].Key != KeySNI {
		t.Errorf("by SNI: %+v", fs)
	}
	if s := bySNI.Stats(); s.Pairs != 1 {
		t.Errorf("by SNI: %d pairs", s.Pairs)
	}
	byServer := newTracker(t, Config{})
	if fs := addAll(byServer, rotating); len(fs) != 0 {
		t.Errorf("by server: %d findings on 7 addresses visited in turn", len(fs))
	}
	if s := byServer.Stats(); s.Pairs != 7 {
		t.Errorf("by server: %d pairs", s.Pairs)
	}
	// Without SNI, the SNI key falls back to the server.
	noSNI := beat{client: "10.0.0.6", server: "203.0.113.50:443", period: time.Minute, jitter: 0.05, n: 60, up: 300, seed: 6}.events()
	if fs := addAll(bySNI, noSNI); len(fs) == 0 || fs[0].Destination != "203.0.113.50:443" {
		t.Errorf("by SNI without SNI: %+v", fs)
	}

	// An implant beside a browser on one host, to one server: by server the
	// browser's random visits drown the rhythm; by JA4+server they do not.
	implant := beat{client: "10.0.0.7", server: "203.0.113.60:443", ja4: "t12d190700_d83cc789557e_7af1ed941c26",
		period: time.Minute, jitter: 0.05, n: 80, up: 300, seed: 7}.events()
	r := rand.New(rand.NewPCG(8, 8))
	var browser []Event
	for at := t0; at.Before(implant[len(implant)-1].Time); at = at.Add(time.Duration(r.ExpFloat64() * float64(20*time.Second))) {
		browser = append(browser, Event{Time: at, Client: implant[0].Client, Server: implant[0].Server,
			JA4: "t13d1516h2_8daaf6152771_02713d6af862", BytesToServer: uint64(500 + r.IntN(2000))})
	}
	mixed := mergeByTime(implant, browser)
	if fs := addAll(newTracker(t, Config{}), mixed); len(fs) != 0 {
		t.Errorf("by server: the mix was reported: %v", fs[0].Reasons)
	}
	fs = addAll(newTracker(t, Config{Key: KeyJA4Server}), mixed)
	if len(fs) == 0 || fs[0].JA4 != implant[0].JA4 || fs[0].Key != KeyJA4Server {
		t.Errorf("by JA4+server: %+v", fs)
	}
}

// TestOutOfOrder: flows are handed out when they end, so starts arrive out
// of order; the result is that of the sorted stream.
func TestOutOfOrder(t *testing.T) {
	evs := beat{client: "10.0.0.5", server: "203.0.113.7:443", period: 30 * time.Second, jitter: 0.2, missed: 0.1, n: 200, up: 900, seed: 9}.events()
	r := rand.New(rand.NewPCG(10, 10))
	type delivered struct {
		end time.Time
		ev  Event
	}
	ds := make([]delivered, len(evs))
	for i, ev := range evs {
		ds[i] = delivered{ev.Time.Add(time.Duration(r.ExpFloat64() * float64(40*time.Second))), ev}
	}
	slices.SortFunc(ds, func(a, b delivered) int { return a.end.Compare(b.end) })
	tr := newTracker(t, Config{})
	var fs []Finding
	for _, d := range ds {
		if f, ok := tr.Add(d.ev); ok {
			fs = append(fs, f)
		}
	}
	checkInvariants(t, tr)
	if len(fs) == 0 {
		t.Fatal("no finding from the reordered beacon")
	}
	if d := fs[0].Period - 30*time.Second; d < -2*time.Second || d > 2*time.Second {
		t.Errorf("period %v", fs[0].Period)
	}
	// A connection older than everything a full ring holds is counted, not kept.
	late := evs[0]
	if _, ok := tr.Add(late); ok || tr.Stats().Late != 1 {
		t.Errorf("late event: stats %+v", tr.Stats())
	}
}

func TestBadTimes(t *testing.T) {
	tr := newTracker(t, Config{})
	for _, at := range []time.Time{{}, time.Unix(-1, 0), time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if _, ok := tr.Add(Event{Time: at, Client: netip.MustParseAddr("10.0.0.1")}); ok {
			t.Errorf("%v: a finding", at)
		}
	}
	if s := tr.Stats(); s.BadTime != 3 || s.Events != 0 || s.Pairs != 0 {
		t.Errorf("stats %+v", s)
	}
	// Zero addresses, no names, no bytes: a rhythm still, but sizes of 0
	// say nothing.
	for i := range 100 {
		if f, ok := tr.Add(Event{Time: t0.Add(time.Duration(i) * time.Minute)}); ok && f.Parts.Size != 0 {
			t.Errorf("zero sizes scored %v", f.Parts.Size)
		}
	}
	checkInvariants(t, tr)
}

// TestEvictionKeepsHeavyPairs: a scan of distinct pairs through a small
// table keeps the established beacons and finds them.
func TestEvictionKeepsHeavyPairs(t *testing.T) {
	tr := newTracker(t, Config{MaxPairs: 256, MaxDestinations: 256})
	var beacons [][]Event
	for i := range 20 {
		beacons = append(beacons, beat{client: fmt.Sprintf("10.0.2.%d", i+1), server: fmt.Sprintf("203.0.113.%d:443", i+1),
			period: time.Minute, jitter: 0.1, n: 120, up: 700, seed: uint64(100 + i)}.events())
	}
	evs := mergeByTime(beacons...)
	found := map[netip.Addr]bool{}
	scan := 0
	for _, ev := range evs {
		if f, ok := tr.Add(ev); ok {
			found[f.Client] = true
		}
		// Ten new pairs between two beacon connections: 20 pairs a second,
		// 60,000 pairs over the beacons' two hours.
		for range 10 {
			scan++
			sc := scanEvent(scan)
			sc.Time = ev.Time
			tr.Add(sc)
		}
	}
	checkInvariants(t, tr)
	s := tr.Stats()
	if s.Pairs != 256 || s.PairEvictions < uint64(scan)-256 {
		t.Errorf("stats %+v after %d scan pairs", s, scan)
	}
	if len(found) != 20 {
		t.Errorf("%d of 20 beacons found under the scan", len(found))
	}
}

func TestDeterministic(t *testing.T) {
	spec := defaultSpec()
	spec.human, spec.poisson, spec.beacons, spec.popularServers = 300, 300, 40, 2
	st := generate(11, spec)
	run := func() []Finding {
		tr := newTracker(t, Config{MaxPairs: 512})
		var fs []Finding
		for i := range st.conns {
			if f, ok := tr.Add(st.event(i)); ok {
				fs = append(fs, f)
			}
		}
		return fs
	}
	a, b := run(), run()
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("%d and %d findings", len(a), len(b))
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Score != b[i].Score || !slices.Equal(a[i].Reasons, b[i].Reasons) {
			t.Fatalf("finding %d differs:\n%+v\n%+v", i, a[i], b[i])
		}
	}
}

// TestConcurrentAdd: several goroutines share a tracker (run with -race).
func TestConcurrentAdd(t *testing.T) {
	tr := newTracker(t, Config{MaxPairs: 64})
	var wg sync.WaitGroup
	const workers, each = 4, 3000
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			evs := beat{client: fmt.Sprintf("10.0.3.%d", w+1), server: "203.0.113.7:443", period: time.Second, jitter: 0.1, n: each, up: 100, seed: uint64(w)}.events()
			for i, ev := range evs {
				tr.Add(ev)
				if i%100 == 0 {
					tr.Stats()
					_ = tr.SetThreshold(0.5 + 0.1*float64(i%3))
				}
				sc := scanEvent(w*each + i)
				sc.Time = ev.Time
				tr.Add(sc)
			}
		}()
	}
	wg.Wait()
	checkInvariants(t, tr)
	if s := tr.Stats(); s.Events != 2*workers*each || s.Pairs != 64 {
		t.Errorf("stats %+v", s)
	}
}

func TestLongNames(t *testing.T) {
	tr := newTracker(t, Config{Key: KeySNI})
	long := strings.Repeat("a", 10000)
	evs := beat{client: "10.0.0.5", server: "203.0.113.7:443", sni: long + ".example", ja4: long, period: time.Minute, jitter: 0.05, n: 40, up: 100, seed: 12}.events()
	fs := addAll(tr, evs)
	checkInvariants(t, tr)
	if s := tr.Stats(); s.Pairs != 1 {
		t.Errorf("%d pairs for one long name", s.Pairs)
	}
	if len(fs) == 0 || len(fs[0].SNI) != maxSNILen || len(fs[0].JA4) != maxJA4Len || len(fs[0].Destination) != maxSNILen {
		t.Errorf("findings %d; names kept at %d/%d bytes", len(fs), len(fs[0].SNI), len(fs[0].JA4))
	}
}

func TestFormatting(t *testing.T) {
	for d, want := range map[time.Duration]string{
		850 * time.Millisecond: "850 ms", 60200 * time.Millisecond: "60.2 s", 4100 * time.Millisecond: "4.1 s",
		47 * time.Minute: "47.0 min", 100 * time.Minute: "100.0 min", 150 * time.Minute: "2.5 h", 75 * time.Hour: "3.1 days",
	} {
		if got := fmtDur(d); got != want {
			t.Errorf("fmtDur(%v) = %q, want %q", d, got, want)
		}
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1204: "1,204", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := group(n); got != want {
			t.Errorf("group(%d) = %q, want %q", n, got, want)
		}
	}
}
