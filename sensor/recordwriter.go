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
	var (
		scorer scoring.Scorer
		scored []scoring.Input // the batch's flows with payload
		scores []float64       // their scores
		hs     []*tlsparse.Handshake
	)
	if r.scoring != nil {
		var err error
		if scorer, err = r.scoring.NewScorer(); err != nil {
			r.setErr(fmt.Errorf("scorer: %w", err))
		}
	}
	for job := range r.jobs {
		hs = hs[:0]
		for _, f := range job.flows {
			h := &tlsparse.Handshake{}
			if r.parseTLS {
				h = ParseHandshake(f, r.certs)
			}
			hs = append(hs, h)
		}
		if scorer != nil {
			scored = scored[:0]
			for i, f := range job.flows {
				if len(f.Prefix) > 0 {
					in := scoring.Input{Flow: f}
					if r.parseTLS {
						in.TLS = hs[i]
					}
					scored = append(scored, in)
				}
			}
			scores = slices.Grow(scores[:0], len(scored))[:len(scored)]
			scorer.Score(scored, scores)
		}
		next := 0 // index in scored of the next flow with payload
		bp := r.bufs.Get().(*[]byte)
		b := (*bp)[:0]
		for i, f := range job.flows {
			rec := NewFlowRecord(f, hs[i])
			if scorer != nil && len(f.Prefix) > 0 {
				rec.Anomaly = r.scoring.verdict(scorer, scored[next], scores[next])
				next++
			}
			b = append(rec.AppendJSON(b), '\n')
		}
		// The records are encoded: the handshakes' memory can serve the
		// next batch's parses (fewer allocations, fewer GC cycles).
		for _, h := range hs {
			h.Release()
		}
		*bp = b
		job.result <- bp // back to the pool once written
	}
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
