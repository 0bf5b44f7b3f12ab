package sensor

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"sync"

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
	parseTLS bool
	certs    *tlsparse.CertCache
	out      io.Writer
	own      *Producer
	jobs     chan encodeJob
	order    chan chan *[]byte // one result per batch, in batch order
	workers  sync.WaitGroup
	done     chan struct{}
	bufs     sync.Pool
	err      error // first write error; read after done
	written  uint64
}

type encodeJob struct {
	flows  []*flow.Flow
	result chan *[]byte
}

const recordBatch = 256

// NewRecordWriter starts a writer to w with one encoding goroutine per
// CPU. With parseTLS, each record gets app_proto and the tls object;
// certs (may be nil) caches certificates.
func NewRecordWriter(w io.Writer, parseTLS bool, certs *tlsparse.CertCache) *RecordWriter {
	n := runtime.GOMAXPROCS(0)
	r := &RecordWriter{
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
	return r.err
}

// Written is the number of records written; valid after Close.
func (r *RecordWriter) Written() uint64 { return r.written }

func (r *RecordWriter) encode() {
	defer r.workers.Done()
	for job := range r.jobs {
		bp := r.bufs.Get().(*[]byte)
		b := (*bp)[:0]
		for _, f := range job.flows {
			h := &tlsparse.Handshake{}
			if r.parseTLS {
				h = ParseHandshake(f, r.certs)
			}
			rec := NewFlowRecord(f, h)
			b = append(rec.AppendJSON(b), '\n')
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
		if r.err == nil {
			if _, err := r.out.Write(*bp); err != nil {
				r.err = fmt.Errorf("write flow records: %w", err)
			} else {
				r.written += uint64(bytes.Count(*bp, newline))
			}
		}
		r.bufs.Put(bp)
	}
}

var newline = []byte{'\n'}
