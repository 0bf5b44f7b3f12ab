package sensor

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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

func TestBatchFlowsBySizeAndOnClose(t *testing.T) {
	in, out := make(chan *flow.Flow, 10), make(chan flowBatch, 10)
	for _, f := range flowsWithPayload(5) {
		in <- f
	}
	close(in)
	batchFlows(in, out, 2, time.Hour)
	var sizes []int
	var ids []uint64
	for b := range out {
		sizes = append(sizes, len(b.flows))
		for _, f := range b.flows {
			ids = append(ids, f.ID)
		}
	}
	if len(sizes) != 3 || sizes[0] != 2 || sizes[1] != 2 || sizes[2] != 1 {
		t.Errorf("batch sizes %v, want [2 2 1]", sizes)
	}
	for i, id := range ids {
		if id != uint64(i+1) {
			t.Fatalf("flows out of order: %v", ids)
		}
	}
}

// TestBatchFlowsByTime: a batch that does not fill goes out after the
// wait, while the input stays open.
func TestBatchFlowsByTime(t *testing.T) {
	in, out := make(chan *flow.Flow), make(chan flowBatch, 10)
	go batchFlows(in, out, 100, 10*time.Millisecond)
	for _, f := range flowsWithPayload(3) {
		in <- f
	}
	b := <-out // arrives only through the timer: the input is still open
	if len(b.flows) != 3 {
		t.Errorf("timed batch of %d flows, want 3", len(b.flows))
	}
	in <- flowsWithPayload(1)[0]
	if b := <-out; len(b.flows) != 1 {
		t.Errorf("second timed batch of %d flows, want 1", len(b.flows))
	}
	close(in)
	if _, ok := <-out; ok {
		t.Error("a batch after close with nothing pending")
	}
}

func TestFlowQueueDropsOnlyWhileCapturing(t *testing.T) {
	drops := prometheus.NewCounter(prometheus.CounterOpts{Name: "d"})
	q := newFlowQueue(2, true, drops)
	for _, f := range flowsWithPayload(5) {
		q.offer(f) // never blocks: 2 queued, 3 dropped
	}
	q.offer(&flow.Flow{}) // no payload: not queued, not dropped
	if q.in.Load() != 5 || q.dropped.Load() != 3 || q.noPayload.Load() != 1 || len(q.ch) != 2 || testutil.ToFloat64(drops) != 3 {
		t.Fatalf("in %d dropped %d no payload %d queued %d", q.in.Load(), q.dropped.Load(), q.noPayload.Load(), len(q.ch))
	}
	// Once the source has stopped, offer waits for room instead.
	q.draining.Store(true)
	sent := make(chan struct{})
	go func() {
		q.offer(flowsWithPayload(1)[0])
		close(sent)
	}()
	select {
	case <-sent:
		t.Fatal("offer to a full queue returned while draining: the flow was not queued")
	case <-time.After(20 * time.Millisecond):
	}
	<-q.ch
	<-sent
	if q.dropped.Load() != 3 || len(q.ch) != 2 {
		t.Errorf("dropped %d, queued %d after draining", q.dropped.Load(), len(q.ch))
	}
}
