package pipeline_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
)

// The records must not depend on how the input is sharded or on when the
// tables sweep (flow/clock.go): the same packets through one table (its
// sweeps at several phases), through four shards routed by one goroutine,
// and through the Dispatcher's one goroutine per shard give the same set.

const second = int64(time.Second)

// conv is one generated TCP conversation: its segments, in time order.
type conv struct{ segs []flow.Segment }

func endpoint(net byte, host int, port uint16) flow.Endpoint {
	return flow.Endpoint{Addr: [16]byte{10: 0xff, 11: 0xff, 12: 10, 13: net, 14: byte(host >> 8), 15: byte(host)}, Port: port}
}

// newConv opens a conversation at time t0 and writes payloads after the
// given gaps, alternating sides; fin closes it at the end.
func newConv(cli, srv flow.Endpoint, t0 int64, gaps []int64, fin bool) conv {
	var c conv
	cseq, sseq := uint32(t0/1e6), uint32(5000) // a new ISN for a port's new connection
	add := func(fromClient bool, t int64, flags uint8, payload string) {
		s := flow.Segment{Time: t, Flags: flags, Payload: []byte(payload), PayloadLen: len(payload), WireLen: 54 + len(payload)}
		if fromClient {
			s.Src, s.Dst, s.Seq, s.Ack = cli, srv, cseq, sseq
			cseq += uint32(len(payload))
		} else {
			s.Src, s.Dst, s.Seq, s.Ack = srv, cli, sseq, cseq
			sseq += uint32(len(payload))
		}
		if flags&flow.FlagSYN != 0 {
			if fromClient {
				cseq++
			} else {
				sseq++
			}
		}
		c.segs = append(c.segs, s)
	}
	t := t0
	add(true, t, flow.FlagSYN, "")
	add(false, t+1e6, flow.FlagSYN|flow.FlagACK, "")
	t += 2e6
	add(true, t, flow.FlagACK, "")
	for i, g := range gaps {
		t += g
		add(i%2 == 0, t, flow.FlagACK|flow.FlagPSH, fmt.Sprintf("chunk %d of a conversation", i))
	}
	if fin {
		add(true, t+1e6, flow.FlagFIN|flow.FlagACK, "")
		add(false, t+2e6, flow.FlagFIN|flow.FlagACK, "")
	}
	return c
}

// merge interleaves conversations by time (stable: equal times keep the
// conversations' order).
func merge(convs []conv) []flow.Segment {
	var all []flow.Segment
	for _, c := range convs {
		all = append(all, c.segs...)
	}
	slices.SortStableFunc(all, func(a, b flow.Segment) int { return int(a.Time>>20 - b.Time>>20) })
	return all
}

// workload is time-ordered traffic with the silences that sit on a
// timeout's edge (10.048 s, QA's F1 case), then a second "file" from an
// hour earlier, one of whose connections also appeared in the first.
func workload() []flow.Segment {
	rng := rand.New(rand.NewPCG(1, 2))
	gapChoices := []int64{30e6, 400e6, 900e6, 1100e6, 9_900e6, 10_048e6, 10_500e6, 31e9, 125e9}
	var first []conv
	base := int64(1_700_000_000) * second
	for i := range 120 {
		gaps := make([]int64, 1+rng.IntN(6))
		for j := range gaps {
			gaps[j] = gapChoices[rng.IntN(len(gapChoices))]
		}
		port := uint16(8080)
		if i%7 == 0 {
			port = 443 // not TLS on a TLS port: decided after its first flight
		}
		start := base + int64(rng.IntN(60_000))*int64(time.Millisecond)
		first = append(first, newConv(endpoint(1, i, uint16(40000+i)), endpoint(2, 1, port), start, gaps, rng.IntN(3) == 0))
	}
	// The 10.048 s silence of F1, and a port reused after a silence.
	first = append(first, newConv(endpoint(3, 1, 50248), endpoint(4, 1, 6346), base+25_207e6, []int64{100e6, 10_048e6, 50e6}, false))
	first = append(first, newConv(endpoint(3, 2, 50000), endpoint(4, 1, 8080), base+1e9, []int64{100e6}, false))
	first = append(first, newConv(endpoint(3, 2, 50000), endpoint(4, 1, 8080), base+12e9, []int64{100e6}, true))
	segs := merge(first)
	// A connection split across the backward jump: its start at the end
	// of the first file, its rest in the second, an hour older.
	last := segs[len(segs)-1].Time
	split := newConv(endpoint(5, 1, 33333), endpoint(6, 1, 8080), last-300e6, []int64{200e6, 300e6, 15e9, 200e6}, true)
	segs = append(segs, split.segs[:4]...)

	var later []conv
	older := base - 3600*second
	for i := range 30 {
		gaps := []int64{gapChoices[rng.IntN(len(gapChoices))], 20e9}
		later = append(later, newConv(endpoint(7, i, uint16(41000+i)), endpoint(2, 1, 8080), older+int64(i)*1e9, gaps, false))
	}
	rest := split.segs[4:]
	shift := rest[0].Time - (older + 2e9)
	for i := range rest {
		rest[i].Time -= shift
	}
	later = append(later, conv{segs: rest})
	return append(segs, merge(later)...)
}

// record is what must match across shardings: everything but the Decided
// time of flows ended by a packet's own time (equal too, as it happens).
func record(f *flow.Flow) string {
	return fmt.Sprintf("%d %v>%v %s..%s %s decided=%s pkts=%d/%d bytes=%d/%d prefix=%q mid=%v",
		f.ID, f.Client.AddrPort(), f.Server.AddrPort(), f.Start.Format(time.RFC3339Nano), f.End.Format(time.RFC3339Nano),
		f.EndReason, f.Decided.Format(time.RFC3339Nano), f.PktsToServer, f.PktsToClient, f.BytesToServer, f.BytesToClient, f.Prefix, f.Midstream)
}

// collector gathers the records of every shard (each shard's emit runs on
// its own goroutine under the Dispatcher).
type collector struct{ per [][]string }

func (c *collector) emit(i int) func(*flow.Flow) {
	return func(f *flow.Flow) { c.per[i] = append(c.per[i], record(f)) }
}

func (c *collector) sorted() []string {
	var all []string
	for _, p := range c.per {
		all = append(all, p...)
	}
	slices.Sort(all)
	return all
}

// oneTable runs segs through one table whose sweeps fall phase after
// whole seconds of packet time.
func oneTable(t *testing.T, segs []flow.Segment, phase int64) []string {
	t.Helper()
	col := &collector{per: make([][]string, 1)}
	tab, err := flow.NewTable(flow.Config{}, col.emit(0))
	if err != nil {
		t.Fatal(err)
	}
	tab.Advance(time.Unix(0, segs[0].Time-phase)) // the first sweep, and so every later one, at this phase
	for i := range segs {
		s := segs[i]
		tab.Process(&s)
	}
	tab.Flush()
	return col.sorted()
}

func sharded(t *testing.T, segs []flow.Segment, n int, dispatch bool) []string {
	t.Helper()
	col := &collector{per: make([][]string, n)}
	sh, err := flow.NewSharded(n, flow.Config{}, col.emit)
	if err != nil {
		t.Fatal(err)
	}
	if dispatch {
		d := pipeline.NewDispatcher(sh, nil)
		for i := range segs {
			s := segs[i]
			d.Process(&s)
		}
		d.Close()
	} else {
		for i := range segs {
			s := segs[i]
			sh.Process(&s)
		}
		sh.Flush()
	}
	return col.sorted()
}

func TestRecordsIndependentOfShardsAndSweeps(t *testing.T) {
	segs := workload()
	want := oneTable(t, segs, 0)
	runs := map[string][]string{
		"1 table, sweeps +0.3 s":  oneTable(t, segs, 300e6),
		"1 table, sweeps +0.7 s":  oneTable(t, segs, 700e6),
		"4 shards, one goroutine": sharded(t, segs, 4, false),
		"4 shards, Dispatcher":    sharded(t, segs, 4, true),
		"7 shards, Dispatcher":    sharded(t, segs, 7, true),
	}
	for name, got := range runs {
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d records, want the %d of one table:\n%s", name, len(got), len(want), setDiff(got, want))
		}
	}

	// F1's case: 10.048 s of silence after payload ends the flow at the
	// verdict timeout, whenever the sweep runs; its later packets are late.
	if r := find(want, "10.3.0.1:50248"); len(r) != 1 || !strings.Contains(r[0], "verdict_timeout") || !strings.Contains(r[0], "pkts=3/1") {
		t.Errorf("the flow silent 10.048 s: %q, want one verdict_timeout record of its 4 first packets", r)
	}
	// A port reused after the verdict timeout: the first connection ends
	// by its silence, not as reused.
	if r := find(want, "10.3.0.2:50000"); len(r) != 2 || !strings.Contains(r[0]+r[1], "verdict_timeout") || strings.Contains(r[0]+r[1], "reused") {
		t.Errorf("the reused port: %q, want a verdict_timeout record and the new connection's", r)
	}
	// The connection split across the backward jump is one record: its
	// older packets happen at network time.
	if r := find(want, "10.5.0.1:33333"); len(r) != 1 || !strings.Contains(r[0], " fin ") {
		t.Errorf("the split connection: %q, want one fin record", r)
	}
}

func find(recs []string, client string) []string {
	var out []string
	for _, r := range recs {
		if strings.Contains(r, " "+client+">") {
			out = append(out, r)
		}
	}
	return out
}

func setDiff(got, want []string) string {
	var b strings.Builder
	for _, r := range got {
		if !slices.Contains(want, r) {
			fmt.Fprintf(&b, "  extra   %s\n", r)
		}
	}
	for _, r := range want {
		if !slices.Contains(got, r) {
			fmt.Fprintf(&b, "  missing %s\n", r)
		}
	}
	return b.String()
}
