package pipeline

import (
	"time"

	"github.com/tlsentry/tlsentry/flow"
)

// next is a worker's next batch: from the tables' queue (ordered) or the
// backlog (as many flows as wait, up to the batch size: batches grow with
// the load); nil when the input is done.
func (p *Pipeline) next() *Batch {
	if p.cfg.Ordered {
		b, ok := <-p.queue
		if !ok {
			return nil
		}
		return b
	}
	b := p.newBatch()
	if !p.backlog.take(p.cfg.BatchSize, b) {
		p.recycle(b)
		return nil
	}
	b.sent = time.Now()
	return b
}

// admit queues a flow handed out by a table (unordered pipelines). A flow
// shed to make room is counted by reason and handed to the shed log.
func (p *Pipeline) admit(f *flow.Flow, iface string) {
	var at time.Time
	if p.cfg.DropWhenBehind {
		at = time.Now() // for the verdict latency (live only)
	}
	shed, why := p.backlog.add(f, iface, at)
	if shed == nil {
		return
	}
	p.dropped.Add(1)
	p.m.QueueDrops.WithLabelValues(queueScoring, why).Inc()
	p.shedHealth.note(why)
	p.logUnscored(shedFlow{f: shed, why: why})
}

// logUnscored hands a flow that is not scored (shed, or without payload)
// to the unscored log. Live, a full log drops the record (counted) rather
// than stall the tables; otherwise it waits.
func (p *Pipeline) logUnscored(s shedFlow) {
	if !p.backlog.isShedding() {
		p.shedLog <- s
		return
	}
	select {
	case p.shedLog <- s:
	default:
		p.m.QueueDrops.WithLabelValues(queueShedLog, dropFull).Inc()
		if s.why != "" {
			p.shedHealth.recordDropped()
		}
	}
}

// shedFlow is a flow that is not scored, and why it was shed ("" for a
// flow without payload: nothing to score).
type shedFlow struct {
	f   *flow.Flow
	why string
}

// Sizes of the shed log: flows waiting to be logged unscored, and how
// many go to the sink at a time.
const (
	shedLogSize  = 4096
	shedLogBatch = 64
	queueShedLog = "shed_log"
)

// logShed hands shed flows to the sink, unscored (Result.Shed), so that
// the flow log says they were not scored; it stops once the shed log is
// closed and drained.
func (p *Pipeline) logShed() {
	for first := range p.shedLog {
		b := p.newBatch()
		add := func(s shedFlow) {
			b.Results = append(b.Results, Result{Flow: s.f, Shed: s.why})
			b.hs = append(b.hs, nil)
		}
		add(first)
	more:
		for len(b.Results) < shedLogBatch {
			select {
			case s, ok := <-p.shedLog:
				if !ok {
					break more
				}
				add(s)
			default:
				break more
			}
		}
		p.gatherUnscored(b)
		b.err = p.cfg.Sink.Encode(b)
		b.releaseAll()
		p.commitMu.Lock()
		p.commit(b)
		p.commitMu.Unlock()
	}
}
