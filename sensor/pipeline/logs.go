package pipeline

import (
	"cmp"
	"math/bits"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/tlsentry/tlsentry/sensor/eve"
	"github.com/tlsentry/tlsentry/sensor/evelog"
	"github.com/tlsentry/tlsentry/sensor/metrics"
	"github.com/tlsentry/tlsentry/sensor/pcapdump"
)

// LogOutputs are where a LogSink writes: the alert log, the flow log
// (nil: off), the folder of alerts' pcaps (nil: off), whether records
// carry the flow's prefix, and whether flow lines carry the raw handshake
// bytes training needs (eve.AppendRaw).
type LogOutputs struct {
	Alerts           *evelog.Log
	Flows            *evelog.Log
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

	alerted, written              atomic.Uint64
	alertErrs, flowErrs, pcapErrs atomic.Uint64
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
		if r.Shed != "" {
			s.writeShed(b, i, mem)
			continue
		}
		if !r.Scored || (!r.Verdict.Alert && s.out.Flows == nil) {
			continue // the common case: nothing to write
		}
		f := r.Flow
		// One time zone for the whole line: the header's time is UTC.
		f.Start, f.End = f.Start.UTC(), f.End.UTC()
		h := b.Handshake(i)
		if h == nil {
			h = noHandshake
		}
		rec := mem.FlowRecord(f, h)
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
		// An alert's time is its flow's last packet: when the verdict
		// could first be given.
		eachAlert(&rec, r, func(rec *eve.FlowRecord) {
			b.Out = rec.AppendBody(b.Out[:0])
			if err := s.out.Alerts.Write(evelog.Event{Time: f.End, Type: evelog.TypeAlert, Body: b.Out}); err != nil {
				s.writeFailed("alerts", &s.alertErrs, err)
			} else {
				s.alerted.Add(1)
				s.m.Alerts.Inc()
			}
		})
		b.Out = rec.AppendBody(b.Out[:0])
		if s.out.Flows != nil {
			if s.out.IncludeHandshake {
				b.Out = eve.AppendRaw(b.Out, f)
			}
			if err := s.out.Flows.Write(evelog.Event{Time: f.Start, Type: evelog.TypeFlow, Body: b.Out}); err != nil {
				s.writeFailed("flows", &s.flowErrs, err)
			} else {
				s.written.Add(1)
			}
		}
	}
	return nil
}

// writeShed writes the flow line of a flow shed unscored.
func (s *LogSink) writeShed(b *Batch, i int, mem *eve.Memory) {
	if s.out.Flows == nil {
		return
	}
	r := &b.Results[i]
	f := r.Flow
	f.Start, f.End = f.Start.UTC(), f.End.UTC()
	h := b.Handshake(i)
	if h == nil {
		h = noHandshake
	}
	rec := mem.FlowRecord(f, h)
	rec.InIface = b.InIface
	rec.Sensor.Unscored, rec.Sensor.ShedReason = "shed", r.Shed
	if !s.out.IncludePrefix {
		rec.Sensor.Prefix = nil
	}
	b.Out = rec.AppendBody(b.Out[:0])
	if err := s.out.Flows.Write(evelog.Event{Time: f.Start, Type: evelog.TypeFlow, Body: b.Out}); err != nil {
		s.writeFailed("flows", &s.flowErrs, err)
	} else {
		s.written.Add(1)
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
	s.m.LogWriteErrors.WithLabelValues(name).Inc()
	if n := count.Add(1); bits.OnesCount64(n) == 1 {
		s.log.Error("cannot write to the "+name+" log", zap.Error(err), zap.Uint64("failures", n))
	}
}

// Sync flushes the logs in use to the disk.
func (s *LogSink) Sync() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	err := s.out.Alerts.Sync()
	if s.out.Flows != nil {
		if ferr := s.out.Flows.Sync(); err == nil {
			err = ferr
		}
	}
	return err
}

// LogStats counts what a LogSink wrote.
type LogStats struct {
	Alerts      uint64 // alert lines written
	FlowLines   uint64 // flow log lines written
	WriteErrors uint64 // lines the alert or flow log failed to write
}

// Stats returns the counters so far.
func (s *LogSink) Stats() LogStats {
	return LogStats{Alerts: s.alerted.Load(), FlowLines: s.written.Load(), WriteErrors: s.alertErrs.Load() + s.flowErrs.Load() + s.pcapErrs.Load()}
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
