package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/tlsentry/tlsentry/detector/beacon"
	"github.com/tlsentry/tlsentry/detector/exploit"
	"github.com/tlsentry/tlsentry/detector/recall"
	"github.com/tlsentry/tlsentry/detector/scan"
	"github.com/tlsentry/tlsentry/detector/scoring"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/sensor/metrics"
	"github.com/tlsentry/tlsentry/sensor/ratelimit"
	"github.com/tlsentry/tlsentry/sensor/signature"
	"github.com/tlsentry/tlsentry/sensor/verdict"
)

// Sink takes the flows of a pipeline, a batch at a time.
type Sink interface {
	// Encode runs on a pipeline worker, for several batches at once: it
	// must be safe for concurrent use. It does the batch's work (encode
	// records into b.Out, write log lines...). Handshakes from
	// b.Handshake are valid until it returns.
	Encode(b *Batch) error
	// Commit runs for one batch at a time, after its Encode: in the order
	// the tables handed the flows out when the pipeline is Ordered.
	Commit(b *Batch) error
}

// Pipeline takes segments to a sink: flow tables (one per capture
// worker) → batches → a bounded queue → workers (each flow's handshake
// parsed once, scored, judged against the policy in effect) → the sink.
// Run runs it once; SetPolicy and SetModel apply a reload while it runs.
type Pipeline struct {
	cfg        Config
	m          *metrics.Metrics
	log        *zap.Logger
	parser     *parser                 // nil without TLS parsing
	judging    atomic.Pointer[judging] // never nil
	swapMu     sync.Mutex              // one swap of judging at a time
	scorerErrs atomic.Uint64
	shards     *Shards
	ran        atomic.Bool
	beaconJA4  bool // the beacon tracker's pairs are keyed by JA4

	queue      chan *Batch // Ordered: batches from the tables
	order      chan *Batch // Ordered: batches in the order they were sent
	backlog    *backlog    // unordered: flows waiting, shed by priority and source
	shedLog    chan shedFlow
	shedHealth *shedHealth // unordered: the health line about shedding
	free       sync.Pool
	commitMu   sync.Mutex // unordered commits, one at a time

	// gather's state (gather.go): it runs when there is a beacon tracker
	// or a server memory; ordered batches are chained by sendMu.
	gathers      bool
	servers      *recall.Memory // nil without a scorer
	scans        *scan.Tracker  // Config.Scans; nil without a scorer
	gatherMu     sync.Mutex     // unordered: one batch at a time
	sendMu       sync.Mutex     // ordered: the chain and the queue in one order
	lastGathered chan struct{}

	errMu sync.Mutex
	err   error // the sink's first error

	in, noPayload, dropped, scored, alerts, suppressed atomic.Uint64
	tables                                             atomic.Pointer[flow.Stats] // when Run has returned
}

// QueueDrops labels of the scoring queue.
const (
	queueScoring = "scoring"
	dropFull     = "full"
)

// New checks cfg and makes a pipeline; Run starts it.
func New(cfg Config) (*Pipeline, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	m := cfg.Metrics
	if m == nil {
		var err error
		if m, err = metrics.New(prometheus.NewRegistry()); err != nil {
			return nil, err
		}
	}
	log := cfg.Log
	if log == nil {
		log = zap.NewNop()
	}
	if cfg.CertCacheSize == 0 {
		cfg.CertCacheSize = defaultCertCacheSize
	}
	p := &Pipeline{cfg: cfg, m: m, log: log}
	if cfg.Beacons != nil {
		p.beaconJA4 = cfg.Beacons.Config().Key == beacon.KeyJA4Server
	}
	if cfg.ParseTLS {
		p.parser = &parser{certs: tlsparse.NewCertCache(cfg.CertCacheSize)}
	}
	j := &judging{}
	if cfg.NewScorer != nil {
		j.model = &Model{Name: cfg.Model, NewScorer: cfg.NewScorer, Info: cfg.ModelInfo}
	}
	if cfg.Policy != nil {
		pol := *cfg.Policy
		j.policy = &pol
	}
	p.judging.Store(j)
	p.publishModel(j)
	if cfg.NewScorer != nil {
		p.servers = recall.New(cfg.ServerMemory, 0)
		p.scans = cfg.Scans
	}
	p.gathers = cfg.Beacons != nil || p.servers != nil
	if cfg.Ordered {
		// The queue holds whole batches: as many as QueueSize flows fill.
		slots := max(1, (cfg.QueueSize+cfg.BatchSize-1)/cfg.BatchSize)
		p.queue = make(chan *Batch, slots)
		p.order = make(chan *Batch, slots+cfg.Workers+cfg.Shards)
	} else {
		p.backlog = newBacklog(cfg.QueueSize, cfg.DropWhenBehind, m.ScoringQueue)
		m.ScoringQueueCapacity.Set(float64(cfg.QueueSize))
		p.shedLog = make(chan shedFlow, shedLogSize)
		p.shedHealth = newShedHealth(log, cfg.QueueSize)
	}
	p.free.New = func() any { return &Batch{parser: p.parser} }
	shards, err := newShards(p)
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	p.shards = shards
	m.SetActiveFlows(shards.activeFlows)
	return p, nil
}

// Run wires the stages and runs them until the source ends (capture
// files read) or ctx is cancelled (shutdown). Then it flushes every
// table, handles every flow queued, and returns: no flow the tables
// handed out is lost on the way, except those dropped while
// DropWhenBehind, which are counted. A cancelled ctx is a normal end (nil
// error). The error also says when the sink failed (the pipeline goes on
// after a sink error, so that the tables never wait on a dead sink). Run
// may be called once.
func (p *Pipeline) Run(ctx context.Context, src Source) error {
	if p.ran.Swap(true) {
		return errors.New("pipeline: already run")
	}
	// Scorers first: a model that cannot make one fails before capture.
	cur := p.judging.Load()
	scorers := make([]*workerScorer, p.cfg.Workers)
	for i := range scorers {
		scorers[i] = &workerScorer{cur: cur}
		if cur.model != nil {
			s, err := cur.model.NewScorer()
			if err != nil {
				return fmt.Errorf("pipeline: scorer: %w", err)
			}
			scorers[i].scorer = s
		}
	}
	var workers, committer, shedder sync.WaitGroup
	for _, s := range scorers {
		workers.Go(func() { p.work(s) })
	}
	if p.cfg.Ordered {
		committer.Go(p.commitInOrder)
	} else {
		shedder.Go(p.logShed)
	}

	stopTicks := make(chan struct{})
	var ticker sync.WaitGroup
	ticker.Go(func() { p.shards.tickBatches(stopTicks, max(p.cfg.BatchTimeout/2, time.Millisecond)) })

	srcErr := src.Run(ctx, p.shards)

	// The source has stopped: from now on batches wait for room rather
	// than drop; every table hands out what it holds; the queue drains.
	if p.backlog != nil {
		p.backlog.stopShedding()
	}
	close(stopTicks)
	ticker.Wait()
	p.shards.finish()
	if p.cfg.Ordered {
		close(p.queue)
	} else {
		p.backlog.close()
	}
	workers.Wait()
	if p.cfg.Ordered {
		close(p.order)
		committer.Wait()
	} else {
		close(p.shedLog)
		shedder.Wait()
		p.shedHealth.flush()
	}
	st := p.shards.tables.Stats()
	p.tables.Store(&st)

	if errors.Is(srcErr, context.Canceled) && ctx.Err() != nil {
		srcErr = nil
	}
	return errors.Join(srcErr, p.sinkErr())
}

func (p *Pipeline) newBatch() *Batch {
	b := p.free.Get().(*Batch)
	b.opened = time.Now()
	return b
}

// send queues a batch of an ordered pipeline for the workers, and for
// the committer in the same order.
func (p *Pipeline) send(b *Batch) {
	b.sent = time.Now()
	b.ready = make(chan struct{})
	p.sendMu.Lock()
	defer p.sendMu.Unlock()
	if p.gathers {
		// Each batch gathers after the one queued before it: a worker
		// waits only for a batch a worker already took.
		b.after, b.gathered = p.lastGathered, make(chan struct{})
		p.lastGathered = b.gathered
	}
	p.queue <- b
	p.order <- b
}

// work is one worker: it scores and judges each batch (parsing each
// flow's handshake once, for the scorer, the verdict and the sink), has
// the sink encode it, and commits it or hands it to the committer. Before
// each batch it takes up the model and policy in effect.
func (p *Pipeline) work(w *workerScorer) {
	var (
		inputs []scoring.Input
		index  []int // result of each input
		scores []float64
	)
	for {
		b := p.next()
		if b == nil {
			return
		}
		p.refresh(w)
		scorer := w.scorer
		inputs, index = inputs[:0], index[:0]
		if scorer != nil {
			b.Model = w.cur.model.Name
			for i := range b.Results {
				if f := b.Results[i].Flow; len(f.Prefix) > 0 {
					inputs = append(inputs, scoring.Input{Flow: f, TLS: b.Handshake(i)})
					index = append(index, i)
				}
			}
		}
		p.gather(b, scorer, inputs, index)
		if scorer != nil {
			scores = slices.Grow(scores[:0], len(inputs))[:len(inputs)]
			scorer.Score(inputs, scores)
			p.judge(b, scorer, w.cur.policy, inputs, index, scores)
		}
		b.err = p.cfg.Sink.Encode(b)
		p.verdictsWritten(b)
		b.releaseAll()
		clear(inputs) // let the flows go
		if p.cfg.Ordered {
			close(b.ready)
			continue
		}
		p.commitMu.Lock()
		p.commit(b)
		p.commitMu.Unlock()
	}
}

// judge gives each scored flow its verdict, and an alert its reasons.
func (p *Pipeline) judge(b *Batch, scorer scoring.Scorer, pol *verdict.Policy, inputs []scoring.Input, index []int, scores []float64) {
	for k, i := range index {
		r := &b.Results[i]
		r.Scored = true
		if pol == nil {
			r.Verdict = verdict.Verdict{Score: scores[k]}
			continue
		}
		r.Verdict = pol.Judge(scores[k], r.Flow, inputs[k].TLS, exploit.Find(r.Flow, inputs[k].TLS))
		for _, h := range r.Verdict.Listed {
			p.m.BlocklistHits.WithLabelValues(string(h.Kind)).Inc()
		}
		for _, e := range r.Verdict.Exploits {
			p.m.ExploitFindings.WithLabelValues(e.Feature).Inc()
		}
		switch {
		case r.Verdict.Alert:
			r.Reasons = scorer.Explain(inputs[k])
			if n := len(r.Verdict.Listed) + len(r.Verdict.Exploits); n > 0 { // the operator's lists speak first, then exploits
				first := make([]scoring.Reason, 0, n+len(r.Reasons))
				for _, h := range r.Verdict.Listed {
					first = append(first, h.Reason())
				}
				first = append(first, r.Verdict.Exploits...)
				for _, reason := range r.Reasons {
					if len(r.Verdict.Exploits) == 0 || !exploit.Restates(reason) { // one finding, one alert
						first = append(first, reason)
					}
				}
				r.Reasons = first
			}
			p.findings(r, inputs[k].TLS)
			p.alerts.Add(1)
		case r.Verdict.Suppressed != "":
			p.suppressed.Add(1)
			p.m.AlertsSuppressed.WithLabelValues(r.Verdict.Suppressed).Inc()
		}
	}
	n := float64(len(index))
	p.scored.Add(uint64(len(index)))
	p.m.FlowsScored.Add(n)
	p.m.BatchSize.Observe(n)
	p.m.ScoreLatency.Observe(time.Since(b.sent).Seconds())
}

// verdictsWritten observes, for the flows of a live capture, the time
// from the packet that decided each (flow.Flow.Decided: the kernel's
// timestamp of the packet that completed or decided it, or when the
// silence that ended it reached its timeout) to its verdict written (the
// sink has encoded the batch). A decision time after the hand-out, or
// more than maxDecisionLag before it (a clock stepped, packets replayed
// with their old times), counts from the hand-out.
func (p *Pipeline) verdictsWritten(b *Batch) {
	if !p.cfg.DropWhenBehind {
		return
	}
	now := time.Now()
	for i := range b.Results {
		if r := &b.Results[i]; r.Scored && !r.handedOut.IsZero() {
			from := r.handedOut
			if d := r.Flow.Decided; !d.IsZero() && !d.After(from) && from.Sub(d) <= maxDecisionLag {
				from = d
			}
			p.m.VerdictLatency.Observe(now.Sub(from).Seconds())
		}
	}
}

// findings groups an alerting flow's reasons into its alert records and
// asks the rate limit which are written.
func (p *Pipeline) findings(r *Result, h *tlsparse.Handshake) {
	groups := signature.Group(r.Reasons)
	r.Findings = make([]Finding, len(groups))
	var print string
	if h != nil && h.Client != nil {
		pr := h.Prints(h.Transport())
		print = cmp.Or(pr.JA4, pr.JA3.Hash)
	}
	for i, g := range groups {
		f := &r.Findings[i]
		f.Finding, f.Written = g, true
		if p.cfg.Limiter != nil {
			f.Written, f.HeldBefore = p.cfg.Limiter.Allow(ratelimit.Alert{SignatureID: g.ID,
				Src: r.Flow.Client.AddrPort().Addr(), Dst: r.Flow.Server.AddrPort().Addr(), Fingerprint: print, Time: r.Flow.End})
			if !f.Written {
				p.m.AlertsRateLimited.WithLabelValues(strconv.Itoa(g.ID)).Inc()
			}
		}
	}
}

// commitInOrder commits the batches in the order they were sent.
func (p *Pipeline) commitInOrder() {
	for b := range p.order {
		<-b.ready
		p.commit(b)
	}
}

func (p *Pipeline) commit(b *Batch) {
	p.trackBeacons(b)
	if b.err == nil {
		b.err = p.cfg.Sink.Commit(b)
	}
	b.releaseAll() // the handshakes parsed again for beacon alerts
	if b.err != nil {
		p.errMu.Lock()
		if p.err == nil {
			p.err = b.err
		}
		p.errMu.Unlock()
	}
	p.recycle(b)
}

func (p *Pipeline) recycle(b *Batch) {
	b.reset()
	p.free.Put(b)
}

func (p *Pipeline) sinkErr() error {
	p.errMu.Lock()
	defer p.errMu.Unlock()
	return p.err
}

// Shards returns the flow tables, for a source that needs them before
// Run (a test).
func (p *Pipeline) Shards() *Shards { return p.shards }

// Stats counts what a pipeline did.
type Stats struct {
	Flows      uint64 // flows the tables handed out with payload
	NoPayload  uint64 // flows handed out without payload
	Dropped    uint64 // flows dropped because the queue was full
	Scored     uint64 // flows scored
	Alerts     uint64 // flows judged to alert
	Suppressed uint64 // flows over the threshold that the allowlist allowed
	// Tables sums the flow tables' counters; set once Run has returned.
	Tables *flow.Stats
}

// Stats returns the counters so far; safe to call at any time.
func (p *Pipeline) Stats() Stats {
	return Stats{
		Flows:      p.in.Load(),
		NoPayload:  p.noPayload.Load(),
		Dropped:    p.dropped.Load(),
		Scored:     p.scored.Load(),
		Alerts:     p.alerts.Load(),
		Suppressed: p.suppressed.Load(),
		Tables:     p.tables.Load(),
	}
}

// maxDecisionLag bounds how long before its hand-out a live flow's
// decision may lie: the wait for a first flight to end (a second) and the
// sweep (another), far below it; packet times older than this are not
// the live clock's.
const maxDecisionLag = time.Minute
