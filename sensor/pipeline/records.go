package pipeline

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"sync"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/sensor/eve"
)

// RecordSink writes every flow as one eve JSON record per line (the
// output of `tlsentry flows` and `tlsentry score`): batches are encoded
// in parallel by the workers and written in commit order. After a write
// error it writes nothing more (the pipeline goes on and returns the
// error), so the tables never wait on a dead writer.
type RecordSink struct {
	out     io.Writer
	model   string // names the model in scored records
	mems    sync.Pool
	failed  bool // only Commit touches it
	written uint64
}

// NewRecordSink writes records to w; model names the model in the
// anomaly object of scored flows.
func NewRecordSink(w io.Writer, model string) *RecordSink {
	s := &RecordSink{out: w, model: model}
	s.mems.New = func() any { return new(eve.Memory) }
	return s
}

// noHandshake is what every flow has without TLS parsing; never changed.
var noHandshake = &tlsparse.Handshake{}

// Encode appends the batch's records to b.Out, each flow from parse to
// JSON before the next, so that one handshake store and one tls object
// serve the whole batch.
func (s *RecordSink) Encode(b *Batch) error {
	mem := s.mems.Get().(*eve.Memory)
	defer s.mems.Put(mem)
	for i := range b.Results {
		r := &b.Results[i]
		h := b.Handshake(i)
		if h == nil {
			h = noHandshake
		}
		rec := mem.FlowRecord(r.Flow, h)
		if r.Scored {
			rec.Anomaly = anomaly(cmp.Or(b.Model, s.model), r)
		}
		b.Out = append(rec.AppendJSON(b.Out), '\n')
		b.Release(i)
	}
	return nil
}

// Commit writes the batch's lines.
func (s *RecordSink) Commit(b *Batch) error {
	if s.failed {
		return nil
	}
	if _, err := s.out.Write(b.Out); err != nil {
		s.failed = true
		return fmt.Errorf("write flow records: %w", err)
	}
	s.written += uint64(bytes.Count(b.Out, newline))
	return nil
}

// Written is the number of records written; valid once the pipeline has
// returned.
func (s *RecordSink) Written() uint64 { return s.written }

var newline = []byte{'\n'}

// anomaly is the eve anomaly object of a scored flow.
func anomaly(model string, r *Result) *eve.AnomalyRecord {
	v := r.Verdict
	a := &eve.AnomalyRecord{Model: model, Score: v.Score, Threshold: v.Threshold, Alert: v.Alert, Suppressed: v.Suppressed}
	for _, reason := range r.Reasons {
		a.Reasons = append(a.Reasons, reason.Text)
	}
	return a
}
