package pipeline

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"sync"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/sensor/eve"
	"github.com/tlsentry/tlsentry/sensor/signature"
)

// RecordSink writes every flow as one eve JSON record per line (the
// output of `tlsentry flows` and `tlsentry score`): batches are encoded
// in parallel by the workers and written in commit order. After a write
// error it writes nothing more (the pipeline goes on and returns the
// error), so the tables never wait on a dead writer.
type RecordSink struct {
	out     io.Writer
	tls     io.Writer // the tls records (SetTLSOutput); nil: none
	model   string    // names the model in scored records
	mems    sync.Pool
	failed  bool // only Commit touches it
	written uint64
	tlsRecs uint64
}

// SetTLSOutput makes the sink write a tls record (eve.TypeTLS: the
// flow's addresses and tls object, as Suricata's tls log) for every flow
// that spoke TLS to w too. Call it before the pipeline runs.
func (s *RecordSink) SetTLSOutput(w io.Writer) { s.tls = w }

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
// serve the whole batch: a flow's alert records (those the rate limit
// let through), then its flow record.
func (s *RecordSink) Encode(b *Batch) error {
	mem := s.mems.Get().(*eve.Memory)
	defer s.mems.Put(mem)
	var verdict eve.Verdict // each scored flow's in turn: its record is encoded before the next
	for i := range b.Results {
		r := &b.Results[i]
		h := b.Handshake(i)
		if h == nil {
			h = noHandshake
		}
		rec := mem.FlowRecord(r.Flow, h)
		rec.InIface = b.InIface
		if s.tls != nil && rec.TLS != nil {
			b.TLSOut = append(rec.AppendTLSJSON(b.TLSOut), '\n')
		}
		if r.Scored {
			rec.Sensor.Verdict = fillVerdict(&verdict, cmp.Or(b.Model, s.model), r)
			rec.Flow.Alerted = r.Verdict.Alert
		}
		if anyWritten(r.Findings) {
			sp := mem.Splice(&rec, false)
			ts := eve.FormatTime(r.Flow.End)
			eachAlert(r, func(a *eve.Alert, finding string, held uint64) {
				b.Out = append(sp.AppendAlert(b.Out, &rec, ts, a, finding, held), '\n')
			})
			b.Out = append(append(b.Out, sp.Flow()...), '\n')
		} else {
			b.Out = append(rec.AppendJSON(b.Out), '\n')
		}
		b.Release(i)
	}
	return nil
}

// eachAlert gives emit the alert object of each of the flow's findings
// the rate limit let through, with the finding in words and the alerts
// of its signature held back before it. The alert records are the flow
// record with these (eve.Spliced), each at the flow's last packet time,
// when the verdict could first be given.
func eachAlert(r *Result, emit func(a *eve.Alert, finding string, held uint64)) {
	var a eve.Alert
	var meta eve.AlertMeta
	var layer [1]string
	for i := range r.Findings {
		f := &r.Findings[i]
		if !f.Written {
			continue
		}
		a = eve.Alert{Action: "allowed", GID: signature.GID, SignatureID: f.ID, Rev: f.Rev,
			Signature: f.Name, Category: f.Category, Severity: f.Severity}
		if f.Layer != "" {
			layer[0] = f.Layer
			meta = eve.AlertMeta{Layer: layer[:], Check: f.Checks()}
			a.Metadata = &meta
		}
		emit(&a, f.Text(), f.HeldBefore)
	}
}

// Commit writes the batch's lines.
func (s *RecordSink) Commit(b *Batch) error {
	if s.failed {
		return nil
	}
	if len(b.Beacons) > 0 {
		b.Out = s.appendBeacons(b.Out, b)
	}
	if _, err := s.out.Write(b.Out); err != nil {
		s.failed = true
		return fmt.Errorf("write flow records: %w", err)
	}
	s.written += uint64(bytes.Count(b.Out, newline))
	if s.tls != nil && len(b.TLSOut) > 0 {
		if _, err := s.tls.Write(b.TLSOut); err != nil {
			s.failed = true
			return fmt.Errorf("write tls records: %w", err)
		}
		s.tlsRecs += uint64(bytes.Count(b.TLSOut, newline))
	}
	return nil
}

// appendBeacons appends the batch's beacon alerts the rate limit let
// through, after its flows: the tracker takes the flows in commit order.
func (s *RecordSink) appendBeacons(out []byte, b *Batch) []byte {
	mem := s.mems.Get().(*eve.Memory)
	defer s.mems.Put(mem)
	for i := range b.Beacons {
		if a := &b.Beacons[i]; a.Written {
			rec := beaconRecord(mem, b, a)
			out = append(rec.AppendJSON(out), '\n')
		}
	}
	return out
}

// TLSRecords is the number of tls records written; valid once the
// pipeline has returned.
func (s *RecordSink) TLSRecords() uint64 { return s.tlsRecs }

// Written is the number of records written; valid once the pipeline has
// returned.
func (s *RecordSink) Written() uint64 { return s.written }

var newline = []byte{'\n'}

// verdictRecord is the verdict of a scored flow for its record.
func verdictRecord(model string, r *Result) *eve.Verdict {
	return fillVerdict(new(eve.Verdict), model, r)
}

// fillVerdict is verdictRecord into a, reusing its reasons' array (the
// record leaves out reasons when there are none, nil or empty alike).
func fillVerdict(a *eve.Verdict, model string, r *Result) *eve.Verdict {
	v := r.Verdict
	reasons := a.Reasons[:0]
	for _, reason := range r.Reasons {
		reasons = append(reasons, reason.Text)
	}
	*a = eve.Verdict{Model: model, Score: v.Score, Threshold: v.Threshold, Alert: v.Alert, Suppressed: v.Suppressed, Reasons: reasons}
	return a
}
