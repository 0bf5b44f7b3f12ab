package pipeline

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor/decode"
	"github.com/tlsentry/tlsentry/sensor/metrics"
)

// Source fills the pipeline's flow tables: a live capture (LiveInput, one
// capture worker per table) or capture files (FileInput).
type Source interface {
	// Run feeds segments to the shards until the input ends or ctx is
	// cancelled. Each table must be used by one goroutine at a time
	// (worker i owns table i, through Shards.Sink(i)), and its time
	// advanced as packet or wall time passes so that idle flows end
	// (ShardSink.Tick, or Table.Advance as the Dispatcher does). Run
	// returns once every goroutine it started has ended; it need not
	// flush the tables, the pipeline does. A nil error or ctx's error is
	// a normal end.
	Run(ctx context.Context, shards *Shards) error
}

// SegmentSink takes decoded segments: a *flow.Table, a *flow.Sharded, a
// Dispatcher, or a shard's sink.
type SegmentSink interface {
	Process(*flow.Segment)
}

// ShardSink is one worker's flow table as a capture worker feeds it:
// segments, and a tick with the current time (packet time, or the wall
// clock when the link is quiet). Its methods belong to the worker's
// goroutine; it is an afpacket.Sink.
type ShardSink interface {
	SegmentSink
	Tick(now time.Time)
}

// Shards are the pipeline's flow tables, one per capture worker, the
// watched ports, the batches each table is filling, and the bookkeeping
// that turns the tables' counters into metrics.
type Shards struct {
	tables    *flow.Sharded
	ports     *decode.PortSet // nil: every port
	m         *metrics.Metrics
	producers []*producer
	ifaces    []string       // per table: the capture interface, live
	flows     []flow.Stats   // per table: the counters already in the metrics
	packets   []decode.Stats // per worker: likewise
	bytes     []uint64       // per worker: likewise
	sinks     []*shardSink
	active    []atomic.Int64 // per table: connections tracked at its last Publish
}

// publishEvery is how often a ticking shard publishes its counters.
const publishEvery = time.Second

func newShards(p *Pipeline) (*Shards, error) {
	n := p.cfg.Shards
	s := &Shards{ports: decode.NewPortSet(p.cfg.Ports), m: p.m, producers: make([]*producer, n), ifaces: make([]string, n),
		flows: make([]flow.Stats, n), packets: make([]decode.Stats, n), bytes: make([]uint64, n), sinks: make([]*shardSink, n),
		active: make([]atomic.Int64, n)}
	for i := range s.producers {
		s.producers[i] = &producer{p: p, iface: &s.ifaces[i]}
	}
	tables, err := flow.NewSharded(n, p.cfg.Table, func(i int) func(*flow.Flow) { return s.producers[i].offer })
	if err != nil {
		return nil, err
	}
	s.tables = tables
	for i := range s.sinks {
		s.sinks[i] = &shardSink{s: s, i: i, t: tables.Shard(i)}
	}
	return s, nil
}

// Len is the number of tables (and of capture workers).
func (s *Shards) Len() int { return s.tables.Shards() }

// Tables returns the tables, for a source that routes segments itself
// (a Dispatcher, or one goroutine calling Sharded.Process); it should
// feed them through Watched, and call Done(i) on table i's goroutine once
// it flushed table i.
func (s *Shards) Tables() *flow.Sharded { return s.tables }

// Sink returns table i as worker i's sink: it drops segments of
// unwatched ports, counts bytes, and Tick advances the table's time and
// publishes the table's counters about every second.
func (s *Shards) Sink(i int) ShardSink { return s.sinks[i] }

// Watched wraps next so that only segments to or from a watched port
// reach it, counting their bytes as worker i's.
func (s *Shards) Watched(i int, next SegmentSink) SegmentSink {
	return &watchedSink{ports: s.ports, next: next, bytes: &s.sinks[i].bytes}
}

// SetInterface names the capture interface table i's flows come from (a
// live source calls it before its workers start).
func (s *Shards) SetInterface(i int, name string) { s.ifaces[i] = name }

// Done is called on table i's goroutine once the table is flushed: the
// batch it was filling goes, and its counters are published.
func (s *Shards) Done(i int) {
	s.producers[i].flush()
	s.Publish(i)
}

// Publish adds what table i did since it was last published to the
// metrics. Only table i's owner may call it (or anyone once the source
// has stopped).
func (s *Shards) Publish(i int) {
	t := s.tables.Shard(i)
	cur := t.Stats()
	s.m.AddFlowStats(&s.flows[i], &cur)
	s.flows[i] = cur
	s.active[i].Store(int64(t.Tracked()))
}

// activeFlows sums the connections the tables tracked when each was last
// published (about every second while a live capture ticks): safe from
// any goroutine, for the metrics.
func (s *Shards) activeFlows() int {
	var n int64
	for i := range s.active {
		n += s.active[i].Load()
	}
	return int(n)
}

// PublishPackets adds what worker i's packet counters (totals since the
// start, as st holds them) grew by since the last call for i, with the
// bytes of the watched segments it counted. Only worker i may call it
// for i (or anyone once the source has stopped).
func (s *Shards) PublishPackets(i int, st *decode.Stats) {
	prev := &s.packets[i]
	worker := strconv.Itoa(i)
	if st.Read > prev.Read {
		s.m.Packets.WithLabelValues(worker).Add(float64(st.Read - prev.Read))
	}
	for _, r := range decode.SkipReasons() {
		if st.Skipped[r] > prev.Skipped[r] {
			s.m.DecodeSkips.WithLabelValues(r.String()).Add(float64(st.Skipped[r] - prev.Skipped[r]))
		}
	}
	if st.Cut > prev.Cut {
		s.m.PacketsCut.Add(float64(st.Cut - prev.Cut))
	}
	*prev = *st
	if b := s.sinks[i].bytes; b > s.bytes[i] {
		s.m.Bytes.WithLabelValues(worker).Add(float64(b - s.bytes[i]))
		s.bytes[i] = b
	}
}

// finish flushes every table and sends every batch, once the source has
// stopped.
func (s *Shards) finish() {
	s.tables.Flush()
	for i := range s.Len() {
		s.Done(i)
	}
}

type shardSink struct {
	s        *Shards
	i        int
	t        *flow.Table
	bytes    uint64 // wire bytes of the watched segments
	lastTick time.Time
}

func (k *shardSink) Process(seg *flow.Segment) {
	if k.s.ports.Either(seg.Src.Port, seg.Dst.Port) {
		k.bytes += uint64(seg.WireLen)
		k.t.Process(seg)
	}
}

func (k *shardSink) Tick(now time.Time) {
	k.t.Advance(now)
	if now.Sub(k.lastTick) >= publishEvery || now.Before(k.lastTick) {
		k.lastTick = now
		k.s.Publish(k.i)
	}
}

// watchedSink passes on the segments of watched ports (as the eBPF filter
// has them: a segment is watched when either of its ports is).
type watchedSink struct {
	ports *decode.PortSet
	next  SegmentSink
	bytes *uint64
}

func (w *watchedSink) Process(seg *flow.Segment) {
	if w.ports.Either(seg.Src.Port, seg.Dst.Port) {
		*w.bytes += uint64(seg.WireLen)
		w.next.Process(seg)
	}
}

// Ports are the watched ports (nil: every port), for the decoders: UDP
// is decoded only to and from them.
func (s *Shards) Ports() *decode.PortSet { return s.ports }

// tickBatches sends, every interval until stop is closed, the batches
// whose first flow has waited the batch timeout.
func (s *Shards) tickBatches(stop <-chan struct{}, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			for _, pr := range s.producers {
				pr.tick(now)
			}
		}
	}
}
