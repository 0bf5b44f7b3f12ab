package sensor

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"

	"github.com/tlsentry/tlsentry/detector/scoring"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// RecordWriter writes flows as JSON lines. TLS parsing and encoding run on
// a pool of goroutines beside the packet path, a batch of flows at a time;
// batches are written in the order they were made, so with one producer
// the output is the same as a single-threaded run. Add (the writer's own
// producer) and each Producer belong to one goroutine each. Close must
// always be called, after every producer's Flush (it stops the goroutines).
type RecordWriter struct {
	scoring  *Scoring
	parseTLS bool
	certs    *tlsparse.CertCache
	out      io.Writer
	own      *Producer
	jobs     chan encodeJob
	order    chan chan *[]byte // one result per batch, in batch order
	workers  sync.WaitGroup
	done     chan struct{}
	bufs     sync.Pool
	errMu    sync.Mutex
	err      error // first error (scorer or write)
	written  uint64
}

type encodeJob struct {
	flows  []*flow.Flow
	result chan *[]byte
}

const recordBatch = 256

// Scoring adds the detector's verdict to records: each encoding goroutine
// gets its own scorer. Flows without payload are not scored.
type Scoring struct {
	NewScorer func() (scoring.Scorer, error)
	Model     string  // kind/id, as alerts name it
	Threshold float64 // alert at or above
}

// verdict builds the anomaly object; alerts say why.
func (s *Scoring) verdict(scorer scoring.Scorer, in scoring.Input, score float64) *AnomalyRecord {
	a := &AnomalyRecord{Model: s.Model, Score: score, Threshold: s.Threshold, Alert: score >= s.Threshold}
	if a.Alert {
		for _, r := range scorer.Explain(in) {
			a.Reasons = append(a.Reasons, r.Text)
		}
	}
	return a
}

// NewRecordWriter starts a writer to w with one encoding goroutine per
// CPU. With parseTLS, each record gets app_proto and the tls object;
// certs (may be nil) caches certificates; scoring (may be nil) adds the
// anomaly object.
func NewRecordWriter(w io.Writer, parseTLS bool, certs *tlsparse.CertCache, scoring *Scoring) *RecordWriter {
	n := runtime.GOMAXPROCS(0)
	r := &RecordWriter{
		scoring:  scoring,
		parseTLS: parseTLS,
		certs:    certs,
		out:      w,
		jobs:     make(chan encodeJob, 2*n),
		order:    make(chan chan *[]byte, 4*n),
		done:     make(chan struct{}),
	}
	r.bufs.New = func() any { return new([]byte) }
	for range n {
		r.workers.Add(1)
		go r.encode()
	}
	go r.write()
	r.own = r.Producer()
	return r
}

// Producer batches flows for a writer; one per goroutine that hands out
// flows (a shard worker).
type Producer struct {
	w     *RecordWriter
	batch []*flow.Flow
}

// Producer returns a new producer for this writer.
func (r *RecordWriter) Producer() *Producer {
	return &Producer{w: r, batch: make([]*flow.Flow, 0, recordBatch)}
}

// Add queues a flow. It blocks when the encoders are several batches
// behind: offline reading slows down rather than growing memory.
func (p *Producer) Add(f *flow.Flow) {
	p.batch = append(p.batch, f)
	if len(p.batch) == recordBatch {
		p.Flush()
	}
}

// Flush hands the queued flows to the encoders.
func (p *Producer) Flush() {
	if len(p.batch) == 0 {
		return
	}
	// The batch takes its place in the output order, then goes to an
	// encoder; producers may interleave: each slot waits for its own job.
	res := make(chan *[]byte, 1)
	p.w.order <- res
	p.w.jobs <- encodeJob{flows: p.batch, result: res}
	p.batch = make([]*flow.Flow, 0, recordBatch)
}

// Add queues a flow on the writer's own producer.
func (r *RecordWriter) Add(f *flow.Flow) { r.own.Add(f) }

// Close writes what is queued, stops the goroutines and returns the first
// write error.
func (r *RecordWriter) Close() error {
	r.own.Flush()
	close(r.jobs)
	close(r.order)
	r.workers.Wait()
	<-r.done
	return r.firstErr()
}

func (r *RecordWriter) setErr(err error) {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	if r.err == nil {
		r.err = err
	}
}

func (r *RecordWriter) firstErr() error {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return r.err
}

// Written is the number of records written; valid after Close.
func (r *RecordWriter) Written() uint64 { return r.written }

func (r *RecordWriter) encode() {
	defer r.workers.Done()
	var e batchEncoder
	if r.scoring != nil {
		var err error
		if e.scorer, err = r.scoring.NewScorer(); err != nil {
			r.setErr(fmt.Errorf("scorer: %w", err))
		}
	}
	for job := range r.jobs {
		bp := r.bufs.Get().(*[]byte)
		*bp = r.encodeBatch(&e, job.flows, (*bp)[:0])
		job.result <- bp // back to the pool once written
	}
}

// batchEncoder is one encoding goroutine's scorer and scratch space.
type batchEncoder struct {
	scorer scoring.Scorer  // nil without scoring
	scored []scoring.Input // the batch's flows with payload
	scores []float64       // their scores
	hs     []*tlsparse.Handshake
	mem    recordMemory
}

// encodeBatch appends the batch's records to b, one line each.
func (r *RecordWriter) encodeBatch(e *batchEncoder, flows []*flow.Flow, b []byte) []byte {
	if e.scorer == nil {
		// Each flow from parse to JSON before the next: one handshake
		// store and one tls object serve every flow of the batch.
		for _, f := range flows {
			h := r.parse(f)
			rec := e.mem.flowRecord(f, h)
			b = append(rec.AppendJSON(b), '\n')
			h.Release()
		}
		return b
	}
	// Scoring wants the whole batch at once.
	e.hs = e.hs[:0]
	e.scored = e.scored[:0]
	for _, f := range flows {
		h := r.parse(f)
		e.hs = append(e.hs, h)
		if len(f.Prefix) > 0 {
			in := scoring.Input{Flow: f}
			if r.parseTLS {
				in.TLS = h // nil otherwise: a scorer that needs it parses the flow itself
			}
			e.scored = append(e.scored, in)
		}
	}
	e.scores = slices.Grow(e.scores[:0], len(e.scored))[:len(e.scored)]
	e.scorer.Score(e.scored, e.scores)
	next := 0 // index in scored of the next flow with payload
	for i, f := range flows {
		rec := e.mem.flowRecord(f, e.hs[i])
		if len(f.Prefix) > 0 {
			rec.Anomaly = r.scoring.verdict(e.scorer, e.scored[next], e.scores[next])
			next++
		}
		b = append(rec.AppendJSON(b), '\n')
	}
	// The records are encoded: the handshakes' memory can serve the next
	// batch's parses (fewer allocations, fewer GC cycles).
	for _, h := range e.hs {
		h.Release()
	}
	clear(e.scored) // let the flows go
	return b
}

// noHandshake is what every flow has without TLS parsing; never changed.
var noHandshake = &tlsparse.Handshake{}

// parse is the flow's handshake, or noHandshake without TLS parsing.
func (r *RecordWriter) parse(f *flow.Flow) *tlsparse.Handshake {
	if !r.parseTLS {
		return noHandshake
	}
	return ParseHandshake(f, r.certs)
}

// write takes the encoded batches in order. After a write error it keeps
// draining, so that producers never block on a dead writer.
func (r *RecordWriter) write() {
	defer close(r.done)
	for res := range r.order {
		bp := <-res
		if r.firstErr() == nil {
			if _, err := r.out.Write(*bp); err != nil {
				r.setErr(fmt.Errorf("write flow records: %w", err))
			} else {
				r.written += uint64(bytes.Count(*bp, newline))
			}
		}
		r.bufs.Put(bp)
	}
}

var newline = []byte{'\n'}
