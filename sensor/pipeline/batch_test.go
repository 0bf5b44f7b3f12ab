package pipeline

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tlsentry/tlsentry/flow"
)

func flowsWithPayload(n int) []*flow.Flow {
	out := make([]*flow.Flow, n)
	for i := range out {
		out[i] = &flow.Flow{ID: uint64(i + 1), Prefix: []byte{byte(i)}}
	}
	return out
}

// newTestPipeline makes a pipeline that is never run: the tests drive its
// producer and look at its queue.
func newTestPipeline(t *testing.T, batch, queue int, drop bool) (*Pipeline, *producer) {
	t.Helper()
	p, err := New(Config{Shards: 1, Tuning: Tuning{BatchSize: batch, BatchTimeout: 10 * time.Millisecond, QueueSize: queue, Workers: 1},
		DropWhenBehind: drop, Sink: &Collector{}})
	if err != nil {
		t.Fatal(err)
	}
	return p, p.shards.producers[0]
}

func TestProducerBatchesBySizeAndOnFlush(t *testing.T) {
	p, pr := newTestPipeline(t, 2, 10, false)
	for _, f := range flowsWithPayload(5) {
		pr.offer(f)
	}
	if len(p.queue) != 2 {
		t.Fatalf("%d batches queued, want 2 full ones", len(p.queue))
	}
	pr.flush()
	var sizes []int
	var ids []uint64
	for range 3 {
		b := <-p.queue
		sizes = append(sizes, len(b.Results))
		for _, r := range b.Results {
			ids = append(ids, r.Flow.ID)
		}
	}
	if sizes[0] != 2 || sizes[1] != 2 || sizes[2] != 1 {
		t.Errorf("batch sizes %v, want [2 2 1]", sizes)
	}
	for i, id := range ids {
		if id != uint64(i+1) {
			t.Fatalf("flows out of order: %v", ids)
		}
	}
	pr.flush() // nothing pending: sends nothing
	if len(p.queue) != 0 {
		t.Error("an empty batch was sent")
	}
}

// TestProducerTickSendsAWaitingBatch: a batch that does not fill goes at
// the first tick after its first flow waited the batch timeout.
func TestProducerTickSendsAWaitingBatch(t *testing.T) {
	p, pr := newTestPipeline(t, 100, 1000, false)
	for _, f := range flowsWithPayload(3) {
		pr.offer(f)
	}
	opened := pr.batch.opened
	pr.tick(opened.Add(5 * time.Millisecond))
	if len(p.queue) != 0 {
		t.Fatal("sent before the timeout")
	}
	pr.tick(opened.Add(10 * time.Millisecond))
	if len(p.queue) != 1 || len((<-p.queue).Results) != 3 {
		t.Fatal("the waiting batch was not sent at the timeout")
	}
	pr.tick(opened.Add(time.Hour)) // nothing pending
	if len(p.queue) != 0 {
		t.Error("a tick with nothing pending sent a batch")
	}
}

func TestQueueDropsOnlyWhileCapturing(t *testing.T) {
	p, pr := newTestPipeline(t, 1, 2, true)
	for _, f := range flowsWithPayload(5) {
		pr.offer(f) // never blocks: 2 queued, 3 dropped
	}
	pr.offer(&flow.Flow{}) // no payload: not queued, not dropped
	drops := testutil.ToFloat64(p.m.QueueDrops.WithLabelValues("scoring", "full"))
	if p.in.Load() != 5 || p.dropped.Load() != 3 || p.noPayload.Load() != 1 || len(p.queue) != 2 || drops != 3 {
		t.Fatalf("in %d dropped %d no payload %d queued %d drops metric %v", p.in.Load(), p.dropped.Load(), p.noPayload.Load(), len(p.queue), drops)
	}
	// Once the source has stopped, a batch waits for room instead.
	p.draining.Store(true)
	sent := make(chan struct{})
	go func() {
		pr.offer(flowsWithPayload(1)[0])
		close(sent)
	}()
	select {
	case <-sent:
		t.Fatal("a batch sent to a full queue returned while draining: it was not queued")
	case <-time.After(20 * time.Millisecond):
	}
	<-p.queue
	<-sent
	if p.dropped.Load() != 3 || len(p.queue) != 2 {
		t.Errorf("dropped %d, queued %d after draining", p.dropped.Load(), len(p.queue))
	}
}
