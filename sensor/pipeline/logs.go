package pipeline

import (
	"cmp"
	"math/bits"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor/eve"
	"github.com/tlsentry/tlsentry/sensor/evelog"
	"github.com/tlsentry/tlsentry/sensor/metrics"
	"github.com/tlsentry/tlsentry/sensor/pcapdump"
)

// LogOutputs are where a LogSink writes: the alert log, the flow log
// (nil: off), the tls log (one line per TLS session; nil: off), the
// folder of alerts' pcaps (nil: off), whether records carry the flow's
// prefix, and whether flow lines carry the raw handshake bytes training
// needs (eve.AppendRaw).
type LogOutputs struct {
	Alerts           *evelog.Log
	Flows            *evelog.Log
	TLS              *evelog.Log
	Pcaps            *pcapdump.Writer
	IncludePrefix    bool
	IncludeHandshake bool
}

// LogSink writes the daemon's logs: one alert line per alerting flow and,
// when the flow log is on, one flow line per scored flow. A write error
// is counted and logged (the 1st, 2nd, 4th, 8th... of each log), never
// returned: the capture goes on. The outputs are swapped at once on
// reload (SetOutputs).
type LogSink struct {
	model string
	m     *metrics.Metrics
	log   *zap.Logger

	mu  sync.RWMutex // writers hold it for reading while they write
	out LogOutputs

	bufs sync.Pool

	alerted, written, tlsWritten           atomic.Uint64
	alertErrs, flowErrs, tlsErrs, pcapErrs atomic.Uint64
}

// NewLogSink writes to out; model names the model in every verdict.
func NewLogSink(out LogOutputs, model string, m *metrics.Metrics, log *zap.Logger) *LogSink {
	if log == nil {
		log = zap.NewNop()
	}
	s := &LogSink{model: model, m: m, log: log, out: out}
	s.bufs.New = func() any { return new(eve.Memory) }
	return s
}

// SetOutputs swaps the outputs and returns the ones replaced, which no
// worker writes to any more: the caller closes what it no longer uses.
func (s *LogSink) SetOutputs(out LogOutputs) LogOutputs {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.out
	s.out = out
	return old
}

// Outputs returns the outputs in use.
func (s *LogSink) Outputs() LogOutputs {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.out
}

// Encode writes the batch's lines.
func (s *LogSink) Encode(b *Batch) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	mem := s.bufs.Get().(*eve.Memory)
	defer s.bufs.Put(mem)
	for i := range b.Results {
		r := &b.Results[i]
		flowLine := s.out.Flows != nil && (r.Scored || r.Shed != "")
		alert := r.Scored && r.Verdict.Alert
		if !flowLine && !alert && s.out.TLS == nil {
			continue // the common case: nothing to write
		}
		h := b.Handshake(i) // parsed already for the scorer
		if h == nil {
			h = noHandshake
		}
		tlsLine := s.out.TLS != nil && h.SpokeTLS()
		if !flowLine && !alert && !tlsLine {
			continue
		}
		f := r.Flow
		// One time zone for the whole line: the header's time is UTC.
		f.Start, f.End = f.Start.UTC(), f.End.UTC()
		rec := mem.FlowRecord(f, h)
		rec.InIface = b.InIface
		if tlsLine {
			s.writeTLS(b, &rec, f)
		}
		switch {
		case r.Shed != "":
			if flowLine {
				s.writeShed(b, &rec, r)
			}
		case r.Scored:
			s.writeScored(b, mem, &rec, r)
		}
	}
	return nil
}

// writeScored writes a scored flow's alert lines, and its flow line when
// the flow log is on.
func (s *LogSink) writeScored(b *Batch, mem *eve.Memory, rec *eve.FlowRecord, r *Result) {
	f := r.Flow
	rec.Sensor.Verdict = verdictRecord(cmp.Or(b.Model, s.model), r)
	rec.Flow.Alerted = r.Verdict.Alert
	if !s.out.IncludePrefix {
		rec.Sensor.Prefix = nil
	}
	if s.out.Pcaps != nil && anyWritten(r.Findings) {
		if path, err := s.out.Pcaps.Write(f); err != nil {
			s.writeFailed("pcaps", &s.pcapErrs, err)
		} else {
			rec.Sensor.Verdict.Pcap = path
		}
	}
	// An alert's time is its flow's last packet: when the verdict could
	// first be given. Its line is the flow line with the alert's fields,
	// from one encoding (eve.Spliced).
	var sp *eve.Spliced
	if anyWritten(r.Findings) {
		sp = mem.Splice(rec, true)
		eachAlert(r, func(a *eve.Alert, finding string, held uint64) {
			b.Out = sp.AppendAlert(b.Out[:0], rec, "", a, finding, held)
			if err := s.out.Alerts.Write(evelog.Event{Time: f.End, Type: evelog.TypeAlert, Body: b.Out}); err != nil {
				s.writeFailed("alerts", &s.alertErrs, err)
			} else {
				s.alerted.Add(1)
				s.m.Alerts.Inc()
			}
		})
	}
	if s.out.Flows == nil {
		return
	}
	if sp != nil {
		b.Out = append(b.Out[:0], sp.Flow()...)
	} else {
		b.Out = rec.AppendBody(b.Out[:0])
	}
	if s.out.IncludeHandshake {
		b.Out = eve.AppendRaw(b.Out, f)
	}
	if err := s.out.Flows.Write(evelog.Event{Time: f.Start, Type: evelog.TypeFlow, Body: b.Out}); err != nil {
		s.writeFailed("flows", &s.flowErrs, err)
	} else {
		s.written.Add(1)
	}
}

// writeShed writes the flow line of a flow shed unscored: its identity,
// counters, parsed handshake, prefix_len and why it was shed, but not the
// prefix. A flood sheds tens of thousands of flows a second, and the
// base64 of each one's 1024 bytes (a kilobyte and a half of line) was
// what took the daemon's CPU from scoring; the prefix is for the scored
// flows, whose verdict it explains.
func (s *LogSink) writeShed(b *Batch, rec *eve.FlowRecord, r *Result) {
	rec.Sensor.Unscored, rec.Sensor.ShedReason = "shed", r.Shed
	rec.Sensor.Prefix = nil
	b.Out = rec.AppendBody(b.Out[:0])
	if err := s.out.Flows.Write(evelog.Event{Time: r.Flow.Start, Type: evelog.TypeFlow, Body: b.Out}); err != nil {
		s.writeFailed("flows", &s.flowErrs, err)
	} else {
		s.written.Add(1)
	}
}

// writeTLS writes a TLS session's tls line (alerting, scored, shed or
// not), at its flow's first packet's time.
func (s *LogSink) writeTLS(b *Batch, rec *eve.FlowRecord, f *flow.Flow) {
	b.Out = rec.AppendTLSBody(b.Out[:0])
	if err := s.out.TLS.Write(evelog.Event{Time: f.Start, Type: evelog.TypeTLS, Body: b.Out}); err != nil {
		s.writeFailed("tls", &s.tlsErrs, err)
	} else {
		s.tlsWritten.Add(1)
	}
}

// Commit writes the batch's beacon alerts (Encode wrote the rest).
func (s *LogSink) Commit(b *Batch) error {
	if len(b.Beacons) == 0 {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	mem := s.bufs.Get().(*eve.Memory)
	defer s.bufs.Put(mem)
	for i := range b.Beacons {
		a := &b.Beacons[i]
		if !a.Written {
			continue
		}
		rec := beaconRecord(mem, b, a)
		if !s.out.IncludePrefix {
			rec.Sensor.Prefix = nil
		}
		b.Out = rec.AppendBody(b.Out[:0])
		if err := s.out.Alerts.Write(evelog.Event{Time: beaconFlow(b, a).End, Type: evelog.TypeAlert, Body: b.Out}); err != nil {
			s.writeFailed("alerts", &s.alertErrs, err)
			continue
		}
		s.alerted.Add(1)
		s.m.Alerts.Inc()
		s.m.Beacon.AlertsWritten.Inc()
	}
	return nil
}

// writeFailed counts a failed line, and logs the 1st, 2nd, 4th, 8th...
// failure of a log, so that a full disk does not flood the daemon's own
// log.
func (s *LogSink) writeFailed(name string, count *atomic.Uint64, err error) {
	s.failed(name, count, 1, err)
}

func (s *LogSink) failed(name string, count *atomic.Uint64, lines int, err error) {
	s.m.LogWriteErrors.WithLabelValues(name).Add(float64(lines))
	n := count.Add(uint64(lines))
	if bits.Len64(n) != bits.Len64(n-uint64(lines)) { // crossed a power of two
		s.log.Error("cannot write to the "+name+" log", zap.Error(err), zap.Uint64("failures", n))
	}
}

// LinesLost counts lines of the alert, flow or tls log (name "alerts",
// "flows" or "tls") that were written to its buffer but could not reach
// its file (evelog.Config.WriteFailed), as write errors of that log.
func (s *LogSink) LinesLost(name string, lines int, err error) {
	count := &s.alertErrs
	switch name {
	case "flows":
		count = &s.flowErrs
	case "tls":
		count = &s.tlsErrs
	}
	s.failed(name, count, lines, err)
}

// Sync flushes the logs in use to the disk.
func (s *LogSink) Sync() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	err := s.out.Alerts.Sync()
	for _, l := range []*evelog.Log{s.out.Flows, s.out.TLS} {
		if l == nil {
			continue
		}
		if ferr := l.Sync(); err == nil {
			err = ferr
		}
	}
	return err
}

// LogStats counts what a LogSink wrote.
type LogStats struct {
	Alerts      uint64 // alert lines written
	FlowLines   uint64 // flow log lines written
	TLSLines    uint64 // tls log lines written
	WriteErrors uint64 // lines the alert, flow or tls log failed to write, and pcaps
}

// Stats returns the counters so far.
func (s *LogSink) Stats() LogStats {
	return LogStats{Alerts: s.alerted.Load(), FlowLines: s.written.Load(), TLSLines: s.tlsWritten.Load(),
		WriteErrors: s.alertErrs.Load() + s.flowErrs.Load() + s.tlsErrs.Load() + s.pcapErrs.Load()}
}

// anyWritten reports whether a flow has an alert record the rate limit
// let through.
func anyWritten(fs []Finding) bool {
	for i := range fs {
		if fs[i].Written {
			return true
		}
	}
	return false
}
