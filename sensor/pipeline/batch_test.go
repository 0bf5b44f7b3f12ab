package pipeline

import (
	"net/netip"
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
		DropWhenBehind: drop, Ordered: !drop, Sink: &Collector{}})
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

// flowFrom is a flow with payload from a client address, of a priority.
func flowFrom(id uint64, client string, prio int) *flow.Flow {
	a := netip.MustParseAddr(client)
	f := &flow.Flow{ID: id, Prefix: []byte{1}, Client: flow.Endpoint{Addr: a.As16(), Port: uint16(1000 + id)}}
	switch prio {
	case prioPartial:
		f.Midstream = true
	case prioOpen:
		f.EndReason = flow.EndIdle
	case prioWhole:
		f.EndReason = flow.EndComplete
	}
	return f
}

// TestDecidedFlowsAreWhole: a flow handed out because its bytes decide
// it is shed last, as a complete one; one ended by silence is not.
func TestDecidedFlowsAreWhole(t *testing.T) {
	for why, want := range map[flow.EndReason]int{flow.EndDecided: prioWhole, flow.EndComplete: prioWhole,
		flow.EndVerdictTimeout: prioOpen, flow.EndIdle: prioOpen} {
		if got := priority(&flow.Flow{EndReason: why}); got != want {
			t.Errorf("%v: priority %d, want %d", why, got, want)
		}
	}
}

// TestBacklogShedsWhatMattersLeast: when full, a flow of a lower
// priority makes room first; among equals, the source holding the most
// places gives one up; a flood from one source cannot push out anyone
// else's flows.
func TestBacklogShedsWhatMattersLeast(t *testing.T) {
	p, pr := newTestPipeline(t, 4, 4, true)
	flood := func(id uint64) *flow.Flow { return flowFrom(id, "198.51.100.9", prioPartial) }
	for i := range 4 {
		pr.offer(flood(uint64(i)))
	}
	// A real connection from elsewhere pushes out a flood flow.
	pr.offer(flowFrom(100, "10.0.0.1", prioWhole))
	// More flood flows: each is shed itself (its source holds the most
	// places and it has no higher priority).
	for i := range 10 {
		pr.offer(flood(uint64(10 + i)))
	}
	// Another source of the flood's own priority takes a place from the
	// flood (the heaviest source), not from the real connection.
	pr.offer(flowFrom(200, "203.0.113.5", prioPartial))
	got := map[uint64]bool{}
	b := p.newBatch()
	for p.backlog.len() > 0 {
		p.backlog.take(10, b)
	}
	for _, r := range b.Results {
		got[r.Flow.ID] = true
	}
	if !got[100] || !got[200] || len(got) != 4 {
		t.Errorf("kept %v: want the real connection, the other source and two flood flows", got)
	}
	if p.dropped.Load() != 12 {
		t.Errorf("%d shed, want 12", p.dropped.Load())
	}
	lower := testutil.ToFloat64(p.m.QueueDrops.WithLabelValues("scoring", shedLowerPriority))
	share := testutil.ToFloat64(p.m.QueueDrops.WithLabelValues("scoring", shedSourceShare))
	if lower != 1 || share != 11 {
		t.Errorf("shed for a higher priority %v, for a source's share %v: want 1 and 11", lower, share)
	}
	// The shed flows wait in the shed log, to be logged unscored.
	if len(p.shedLog) != 12 {
		t.Errorf("%d flows in the shed log, want 12", len(p.shedLog))
	}
}

// TestBacklogWaitsOnceTheSourceStopped: offline (or at shutdown), a full
// backlog makes the table wait rather than shed.
func TestBacklogWaitsOnceTheSourceStopped(t *testing.T) {
	p, pr := newTestPipeline(t, 1, 2, true)
	for _, f := range flowsWithPayload(2) {
		pr.offer(f)
	}
	pr.offer(&flow.Flow{}) // no payload: not queued, not shed
	if p.noPayload.Load() != 1 || p.backlog.len() != 2 {
		t.Fatalf("no payload %d, waiting %d", p.noPayload.Load(), p.backlog.len())
	}
	p.backlog.stopShedding()
	sent := make(chan struct{})
	go func() {
		pr.offer(flowsWithPayload(1)[0])
		close(sent)
	}()
	select {
	case <-sent:
		t.Fatal("a flow offered to a full backlog returned while it should wait")
	case <-time.After(20 * time.Millisecond):
	}
	b := p.newBatch()
	p.backlog.take(1, b)
	<-sent
	if p.dropped.Load() != 0 || p.backlog.len() != 2 {
		t.Errorf("shed %d, waiting %d after the wait", p.dropped.Load(), p.backlog.len())
	}
}

// TestBacklogNeverQueuesEmptyFlows: a flow without payload cannot be
// scored; when the sink wants it, it goes straight to the unscored log
// and takes no place in the queue.
func TestBacklogNeverQueuesEmptyFlows(t *testing.T) {
	p, err := New(Config{Shards: 1, Tuning: Tuning{BatchSize: 4, BatchTimeout: 10 * time.Millisecond, QueueSize: 2, Workers: 1},
		DropWhenBehind: true, EmptyFlows: true, Sink: &Collector{}})
	if err != nil {
		t.Fatal(err)
	}
	pr := p.shards.producers[0]
	for i := range 5 {
		pr.offer(&flow.Flow{ID: uint64(i + 1)})
	}
	pr.offer(flowsWithPayload(1)[0])
	if p.backlog.len() != 1 || len(p.shedLog) != 5 || p.dropped.Load() != 0 {
		t.Errorf("waiting %d, unscored log %d, shed %d: want 1, 5, 0", p.backlog.len(), len(p.shedLog), p.dropped.Load())
	}
	if got := testutil.ToFloat64(p.m.ScoringQueue); got != 1 {
		t.Errorf("queue depth metric %v, want 1", got)
	}
	if got := testutil.ToFloat64(p.m.ScoringQueueCapacity); got != 2 {
		t.Errorf("queue capacity metric %v, want 2", got)
	}
	for _, s := range drain(p.shedLog) {
		if s.why != "" {
			t.Errorf("flow %d without payload logged as shed (%q)", s.f.ID, s.why)
		}
	}
}

func drain(c chan shedFlow) []shedFlow {
	var out []shedFlow
	for len(c) > 0 {
		out = append(out, <-c)
	}
	return out
}
