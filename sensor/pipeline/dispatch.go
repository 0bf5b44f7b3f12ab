package pipeline

import (
	"sync"
	"time"

	"github.com/tlsentry/tlsentry/flow"
)

// Dispatcher spreads decoded segments over one goroutine per shard of a
// flow.Sharded, so that reassembly runs on several cores. Segments travel
// in batches with their payload copied (the reader's buffers are reused);
// a bounded pool of batches makes the reader wait, not memory grow, when
// the workers fall behind. Both directions of a connection reach the same
// worker. Process must be called from one goroutine; Close must be called
// once, after the last Process: it hands out every flow still in the
// shards (EndFlush) and stops the workers.
type Dispatcher struct {
	flows   *flow.Sharded
	pending []*segBatch      // the batch being filled, per shard
	work    []chan *segBatch // per shard
	free    chan *segBatch
	made    int // batches made so far (by Process's goroutine)
	most    int // the most there may be
	wg      sync.WaitGroup
	clock   flow.NetClock // network time of what Process copied; read by workers after their channel closes
}

// segBatch is a run of segments for one shard; their payloads live in arena.
type segBatch struct {
	segs  []flow.Segment
	arena []byte
	now   int64 // latest packet time the reader had seen when it was sent
}

const (
	dispatchBatch = 256      // segments per batch
	dispatchArena = 64 << 10 // payload bytes per batch
)

// NewDispatcher starts one worker per shard. done(i) is called on shard
// i's goroutine after it flushed its table (to flush per-shard outputs).
func NewDispatcher(flows *flow.Sharded, done func(shard int)) *Dispatcher {
	n := flows.Shards()
	d := &Dispatcher{
		flows:   flows,
		pending: make([]*segBatch, n),
		work:    make([]chan *segBatch, n),
		free:    make(chan *segBatch, 4*n),
		most:    4 * n, // more than n: a batch pending per shard still leaves one to send
	}
	for i := range n {
		d.work[i] = make(chan *segBatch, 2)
		d.wg.Add(1)
		go d.run(i, done)
	}
	return d
}

// Process copies a segment into its shard's batch.
func (d *Dispatcher) Process(s *flow.Segment) {
	i := d.flows.ShardOf(s)
	b := d.pending[i]
	if b == nil || len(b.segs) == cap(b.segs) || len(b.arena)+len(s.Payload) > cap(b.arena) {
		if b != nil {
			d.send(i, b)
		}
		b = d.freeBatch()
		b.segs, b.arena = b.segs[:0], b.arena[:0]
		d.pending[i] = b
	}
	c := *s
	// Every shard judges silence on the network time of the whole input,
	// not of its share of it (flow/clock.go).
	d.clock.Stamp(&c)
	if len(s.Payload) <= cap(b.arena)-len(b.arena) {
		off := len(b.arena)
		b.arena = append(b.arena, s.Payload...)
		c.Payload = b.arena[off:len(b.arena):len(b.arena)]
	} else {
		c.Payload = append([]byte(nil), s.Payload...) // larger than an arena: rare
	}
	b.segs = append(b.segs, c)
	b.now = d.clock.Now()
}

// freeBatch returns a batch the workers gave back, or a new one while
// fewer than d.most were made: made up front, the pool cost 90 KB per
// shard before the first packet (90 MB at 256 shards).
func (d *Dispatcher) freeBatch() *segBatch {
	select {
	case b := <-d.free:
		return b
	default:
	}
	if d.made < d.most {
		d.made++
		return &segBatch{segs: make([]flow.Segment, 0, dispatchBatch), arena: make([]byte, 0, dispatchArena)}
	}
	return <-d.free
}

func (d *Dispatcher) send(i int, b *segBatch) {
	d.pending[i] = nil
	d.work[i] <- b
}

// Close sends what is pending, waits for the workers to flush their
// shards, and stops them.
func (d *Dispatcher) Close() {
	for i, b := range d.pending {
		if b != nil {
			d.send(i, b)
		}
	}
	for _, w := range d.work {
		close(w)
	}
	d.wg.Wait()
}

func (d *Dispatcher) run(i int, done func(int)) {
	defer d.wg.Done()
	t := d.flows.Shard(i)
	for b := range d.work[i] {
		for j := range b.segs {
			t.Process(&b.segs[j])
		}
		// Network time also moves for shards that saw none of the latest
		// packets, so that their sweeps free idle flows' memory (their
		// records do not depend on it: flow/clock.go).
		t.Advance(time.Unix(0, b.now))
		d.free <- b
	}
	// Bring every shard to the network time at the end of the input
	// before flushing, so that flows silent past a timeout by then end so,
	// whichever shard holds them.
	t.Advance(time.Unix(0, d.clock.Now()))
	t.Flush()
	if done != nil {
		done(i)
	}
}
