package sensor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/tlsentry/tlsentry/detector/scoring"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/sensor/alertlog"
	"github.com/tlsentry/tlsentry/sensor/metrics"
)

// PipelineConfig sets up a Pipeline.
type PipelineConfig struct {
	// Workers is the number of flow tables: one per capture worker.
	Workers int
	// Ports are the watched TCP ports: segments with neither port in it
	// are not tracked (the eBPF filter, when attached, already keeps
	// them in the kernel). Empty: every port.
	Ports []uint16
	// Table bounds the tables; MaxFlows is for all of them together.
	Table flow.Config

	// BatchSize flows are scored together; a batch is sent early when its
	// first flow has waited BatchTimeout.
	BatchSize    int
	BatchTimeout time.Duration
	// QueueSize bounds the flows waiting for a batch.
	QueueSize int
	// DropWhenBehind drops (and counts) a finished flow that finds the
	// queue full, so that a live capture never waits for the detector.
	// Without it the flow tables wait for room: for capture files, where
	// waiting only slows the reading down. Once the source has stopped,
	// the pipeline always waits, so a shutdown scores every flow.
	DropWhenBehind bool

	// ScoringWorkers each get their own scorer from NewScorer.
	ScoringWorkers int
	NewScorer      func() (scoring.Scorer, error)
	// Model names the model in every verdict (detector.Model.Name).
	Model string
	// CertCacheSize bounds the certificates remembered across flows;
	// 0: 4096.
	CertCacheSize int

	// Policy is the initial alert policy (see SetPolicy).
	Policy AlertPolicy
	// Alerts gets one line per alert; FlowLog, if not nil, one line per
	// scored flow (see SetFlowLog). The pipeline writes to them but does
	// not close them.
	Alerts  *alertlog.Log
	FlowLog *alertlog.Log

	// Metrics; nil: counted in a registry of the pipeline's own.
	Metrics *metrics.Metrics
	// Log is the daemon's own log; nil: none.
	Log *zap.Logger
}

const defaultCertCacheSize = 4096

func (c *PipelineConfig) check() error {
	switch {
	case c.Workers < 1:
		return fmt.Errorf("pipeline: %d workers: need at least 1", c.Workers)
	case c.BatchSize < 1:
		return fmt.Errorf("pipeline: batch size %d: need at least 1", c.BatchSize)
	case c.BatchTimeout <= 0:
		return fmt.Errorf("pipeline: batch timeout %v: must be positive", c.BatchTimeout)
	case c.QueueSize < 1:
		return fmt.Errorf("pipeline: queue size %d: need at least 1", c.QueueSize)
	case c.ScoringWorkers < 1:
		return fmt.Errorf("pipeline: %d scoring workers: need at least 1", c.ScoringWorkers)
	case c.NewScorer == nil:
		return errors.New("pipeline: no scorer")
	case c.Alerts == nil:
		return errors.New("pipeline: no alert log")
	}
	return checkPolicy(c.Policy)
}

func checkPolicy(p AlertPolicy) error {
	if math.IsNaN(p.Threshold) || p.Threshold <= 0 {
		return fmt.Errorf("pipeline: threshold %v: must be positive", p.Threshold)
	}
	return nil
}

// Pipeline takes captured segments to verdicts: flow tables (one per
// capture worker) → a bounded queue → a batcher (size or time) → scoring
// workers (TLS parsed once per flow, scored, judged against the live
// alert policy) → the alert log and the optional flow log. Run runs it
// once; SetPolicy and SetFlowLog apply a config reload while it runs.
type Pipeline struct {
	cfg      PipelineConfig
	m        *metrics.Metrics
	log      *zap.Logger
	certs    *tlsparse.CertCache
	verdicts *verdicts
	ran      atomic.Bool

	queue  *flowQueue
	shards *Shards
	scored atomic.Uint64
	tables atomic.Pointer[flow.Stats] // when Run has returned
}

// NewPipeline checks cfg and makes a pipeline; Run starts it.
func NewPipeline(cfg PipelineConfig) (*Pipeline, error) {
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
	p := &Pipeline{cfg: cfg, m: m, log: log, certs: tlsparse.NewCertCache(cfg.CertCacheSize)}
	p.verdicts = &verdicts{model: cfg.Model, alerts: cfg.Alerts, flows: cfg.FlowLog, m: m, log: log}
	p.verdicts.policy.Store(&cfg.Policy)
	p.queue = newFlowQueue(cfg.QueueSize, cfg.DropWhenBehind, m.QueueDrops.WithLabelValues(queueScoring, dropFull))
	// Flow tables hand finished flows to the bounded queue.
	tables, err := flow.NewSharded(cfg.Workers, cfg.Table, func(int) func(*flow.Flow) { return p.queue.offer })
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	p.shards = newShards(tables, cfg.Ports, m)
	return p, nil
}

// Run wires the stages and runs them until the source ends (capture
// files read) or ctx is cancelled (shutdown). Then it flushes every
// table (EndFlush), scores and writes every flow queued, syncs the logs
// and returns: no flow the tables handed out is lost on the way, except
// those dropped while DropWhenBehind, which are counted. A cancelled ctx
// is a normal end (nil error). Run may be called once.
func (p *Pipeline) Run(ctx context.Context, src PacketSource) error {
	if p.ran.Swap(true) {
		return errors.New("pipeline: already run")
	}
	cfg := p.cfg

	// Scorers first: a model that cannot make one fails before capture.
	scorers := make([]scoring.Scorer, cfg.ScoringWorkers)
	for i := range scorers {
		s, err := cfg.NewScorer()
		if err != nil {
			return fmt.Errorf("pipeline: scorer: %w", err)
		}
		scorers[i] = s
	}

	// The batcher turns the queue into batches of up to BatchSize flows or
	// BatchTimeout; the scoring workers score and judge them. Both stop
	// when the queue is closed and drained, after the source has stopped.
	batches := make(chan flowBatch, cfg.ScoringWorkers)
	var stages sync.WaitGroup
	stages.Go(func() { batchFlows(p.queue.ch, batches, cfg.BatchSize, cfg.BatchTimeout) })
	for _, s := range scorers {
		stages.Go(func() { p.scoreBatches(batches, s) })
	}

	// The source runs until its input ends or ctx is cancelled.
	srcErr := src.Run(ctx, p.shards)

	// Shutdown: from now on flows wait for room rather than drop; every
	// table hands out what it holds; the queue drains through the
	// batcher and the scorers; the logs reach the disk.
	p.queue.draining.Store(true)
	p.shards.tables.Flush()
	p.shards.publishAll()
	close(p.queue.ch)
	stages.Wait()
	st := p.shards.tables.Stats()
	p.tables.Store(&st)
	syncErr := errors.Join(p.cfg.Alerts.Sync(), p.syncFlowLog())

	if errors.Is(srcErr, context.Canceled) && ctx.Err() != nil {
		srcErr = nil
	}
	return errors.Join(srcErr, syncErr)
}

// scoreBatches is one scoring worker: it parses each flow's handshake
// once (the scorer and the alert both use it), scores the batch, and
// judges every flow.
func (p *Pipeline) scoreBatches(batches <-chan flowBatch, scorer scoring.Scorer) {
	var (
		inputs []scoring.Input
		scores []float64
		buf    []byte
	)
	for b := range batches {
		inputs = inputs[:0]
		for _, f := range b.flows {
			inputs = append(inputs, scoring.Input{Flow: f, TLS: ParseHandshake(f, p.certs)})
		}
		scores = slices.Grow(scores[:0], len(inputs))[:len(inputs)]
		scorer.Score(inputs, scores)
		buf = p.verdicts.judgeBatch(scorer, inputs, scores, buf)
		p.scored.Add(uint64(len(inputs)))
		p.m.FlowsScored.Add(float64(len(inputs)))
		p.m.BatchSize.Observe(float64(len(inputs)))
		p.m.ScoreLatency.Observe(time.Since(b.closed).Seconds())
		for _, in := range inputs {
			in.TLS.Release() // its lines are written: the next batch reuses the memory
		}
		clear(inputs) // let the flows go
	}
}

func (p *Pipeline) syncFlowLog() error {
	p.verdicts.flowsMu.RLock()
	defer p.verdicts.flowsMu.RUnlock()
	if p.verdicts.flows == nil {
		return nil
	}
	return p.verdicts.flows.Sync()
}

// SetPolicy replaces the alert policy; the next flows judged use it.
func (p *Pipeline) SetPolicy(pol AlertPolicy) error {
	if err := checkPolicy(pol); err != nil {
		return err
	}
	p.verdicts.policy.Store(&pol)
	return nil
}

// Policy returns the alert policy in effect.
func (p *Pipeline) Policy() AlertPolicy { return *p.verdicts.policy.Load() }

// SetFlowLog replaces the flow log (nil turns it off) and returns the
// one it replaced, which no scoring worker writes to any more: the
// caller closes it.
func (p *Pipeline) SetFlowLog(l *alertlog.Log) *alertlog.Log { return p.verdicts.setFlowLog(l) }

// PipelineStats counts what a pipeline did.
type PipelineStats struct {
	Flows       uint64 // flows the tables handed out with payload, to score
	NoPayload   uint64 // flows handed out without payload: nothing to score
	Dropped     uint64 // flows dropped because the scoring queue was full
	Scored      uint64 // flows scored
	Alerts      uint64 // alerts written
	Suppressed  uint64 // flows over the threshold that the allowlist allowed
	FlowLines   uint64 // flow log lines written
	WriteErrors uint64 // lines the alert or flow log failed to write
	// Tables sums the flow tables' counters; set once Run has returned.
	Tables *flow.Stats
}

// Stats returns the counters so far; safe to call at any time.
func (p *Pipeline) Stats() PipelineStats {
	v := p.verdicts
	return PipelineStats{
		Flows:       p.queue.in.Load(),
		NoPayload:   p.queue.noPayload.Load(),
		Dropped:     p.queue.dropped.Load(),
		Scored:      p.scored.Load(),
		Alerts:      v.alerted.Load(),
		Suppressed:  v.suppressed.Load(),
		FlowLines:   v.written.Load(),
		WriteErrors: v.alertErrs.Load() + v.flowErrs.Load(),
		Tables:      p.tables.Load(),
	}
}
