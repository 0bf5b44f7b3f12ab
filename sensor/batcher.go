package sensor

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tlsentry/tlsentry/flow"
)

// flowQueue is the bounded queue between the flow tables and the
// batcher. While the capture runs with dropWhenFull, a flow that finds it
// full is dropped and counted, so that a slow detector never stalls a
// capture worker (and the kernel ring behind it). Otherwise (capture
// files, and the final flush once the capture has stopped) offer waits
// for room: nothing is lost when nothing is being captured meanwhile.
type flowQueue struct {
	ch           chan *flow.Flow
	dropWhenFull bool
	draining     atomic.Bool // the source has stopped: wait, never drop
	dropFull     prometheus.Counter

	in, noPayload, dropped atomic.Uint64
}

// dropFull's labels in metrics.QueueDrops.
const (
	queueScoring = "scoring"
	dropFull     = "full"
)

func newFlowQueue(size int, dropWhenFull bool, drops prometheus.Counter) *flowQueue {
	return &flowQueue{ch: make(chan *flow.Flow, size), dropWhenFull: dropWhenFull, dropFull: drops}
}

// offer queues a finished flow for scoring; called on the goroutine of
// the table that handed it out. Flows without payload give the detector
// nothing to look at and are not queued.
func (q *flowQueue) offer(f *flow.Flow) {
	if len(f.Prefix) == 0 {
		q.noPayload.Add(1)
		return
	}
	q.in.Add(1)
	if q.dropWhenFull && !q.draining.Load() {
		select {
		case q.ch <- f:
		default:
			q.dropped.Add(1)
			q.dropFull.Inc()
		}
		return
	}
	q.ch <- f
}

// flowBatch is what a scoring worker takes: flows, and when the batch
// was closed (for the latency histogram).
type flowBatch struct {
	flows  []*flow.Flow
	closed time.Time
}

// batchFlows gathers flows into batches of up to size, sending a batch
// when it is full or when its first flow has waited maxWait, whichever
// comes first, and what is left when in closes; then it closes out.
func batchFlows(in <-chan *flow.Flow, out chan<- flowBatch, size int, maxWait time.Duration) {
	defer close(out)
	timer := time.NewTimer(maxWait)
	timer.Stop()
	var (
		pending []*flow.Flow
		expired <-chan time.Time // nil (never ready) while no batch is open
	)
	send := func() {
		timer.Stop()
		expired = nil
		out <- flowBatch{flows: pending, closed: time.Now()}
		pending = nil
	}
	for {
		select {
		case f, ok := <-in:
			if !ok {
				if len(pending) > 0 {
					send()
				}
				return
			}
			if pending == nil {
				pending = make([]*flow.Flow, 0, size)
				timer.Reset(maxWait)
				expired = timer.C
			}
			pending = append(pending, f)
			if len(pending) == size {
				send()
			}
		case <-expired:
			send()
		}
	}
}
