package sensor

import (
	"math/bits"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/tlsentry/tlsentry/detector/scoring"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor/alertlog"
	"github.com/tlsentry/tlsentry/sensor/allowlist"
	"github.com/tlsentry/tlsentry/sensor/metrics"
)

// AlertPolicy is what turns a score into an alert. The pipeline holds it
// behind an atomic pointer, so a config reload changes the verdicts of
// the next flows at once.
type AlertPolicy struct {
	Threshold float64         // alert at or above
	Allow     *allowlist.List // flows never alerted on; nil: none
	// IncludePrefix puts the flow's prefix (base64) in alert and flow
	// log lines.
	IncludePrefix bool
}

// verdicts turns scored flows into alert and flow log lines. Its methods
// are called from every scoring worker.
type verdicts struct {
	model  string
	policy atomic.Pointer[AlertPolicy]
	alerts *alertlog.Log

	flowsMu sync.RWMutex // writers hold it for reading while they write
	flows   *alertlog.Log

	m   *metrics.Metrics
	log *zap.Logger

	alerted, suppressed, written atomic.Uint64
	alertErrs, flowErrs          atomic.Uint64
}

// setFlowLog swaps the flow log (nil: off) and returns the one it
// replaced, which no worker uses any more.
func (v *verdicts) setFlowLog(l *alertlog.Log) *alertlog.Log {
	v.flowsMu.Lock()
	defer v.flowsMu.Unlock()
	old := v.flows
	v.flows = l
	return old
}

// judgeBatch gives the verdicts of one scored batch and writes its lines.
// buf is the worker's encoding buffer, returned for reuse.
func (v *verdicts) judgeBatch(scorer scoring.Scorer, in []scoring.Input, scores []float64, buf []byte) []byte {
	pol := v.policy.Load()
	v.flowsMu.RLock()
	defer v.flowsMu.RUnlock()
	for i := range in {
		buf = v.judge(scorer, pol, in[i], scores[i], buf)
	}
	return buf
}

// judge compares one flow's score with the threshold, checks the
// allowlist for a flow over it, and writes the alert and the flow line.
func (v *verdicts) judge(scorer scoring.Scorer, pol *AlertPolicy, in scoring.Input, score float64, buf []byte) []byte {
	over := score >= pol.Threshold
	if !over && v.flows == nil {
		return buf // the common case: nothing to write
	}
	f := in.Flow
	// One time zone for the whole line: the header's time is UTC.
	f.Start, f.End = f.Start.UTC(), f.End.UTC()
	rec := NewFlowRecord(f, in.TLS)
	rec.Anomaly = &AnomalyRecord{Model: v.model, Score: score, Threshold: pol.Threshold, Alert: over}
	if !pol.IncludePrefix {
		rec.Prefix = nil
	}
	if over {
		if reason, ok := pol.Allow.Match(allowInfo(&rec, f)); ok {
			rec.Anomaly.Alert, rec.Anomaly.Suppressed = false, reason
			v.suppressed.Add(1)
			v.m.AlertsSuppressed.WithLabelValues(reason).Inc()
		} else {
			for _, r := range scorer.Explain(in) {
				rec.Anomaly.Reasons = append(rec.Anomaly.Reasons, r.Text)
			}
		}
	}
	buf = rec.AppendBody(buf[:0])
	if rec.Anomaly.Alert {
		// An alert's time is its flow's last packet: when the verdict
		// could first be given.
		if err := v.alerts.Write(alertlog.Event{Time: f.End, Type: alertlog.TypeAlert, Body: buf}); err != nil {
			v.writeFailed("alerts", &v.alertErrs, err)
		} else {
			v.alerted.Add(1)
			v.m.Alerts.Inc()
		}
	}
	if v.flows != nil {
		if err := v.flows.Write(alertlog.Event{Time: f.Start, Type: alertlog.TypeFlow, Body: buf}); err != nil {
			v.writeFailed("flows", &v.flowErrs, err)
		} else {
			v.written.Add(1)
		}
	}
	return buf
}

// writeFailed counts a failed line, and logs the 1st, 2nd, 4th, 8th...
// failure of a log, so that a full disk does not flood the daemon's own
// log.
func (v *verdicts) writeFailed(name string, count *atomic.Uint64, err error) {
	v.m.LogWriteErrors.WithLabelValues(name).Inc()
	if n := count.Add(1); bits.OnesCount64(n) == 1 {
		v.log.Error("cannot write to the "+name+" log", zap.Error(err), zap.Uint64("failures", n))
	}
}

// allowInfo is what the allowlist looks at in a flow.
func allowInfo(rec *FlowRecord, f *flow.Flow) allowlist.FlowInfo {
	info := allowlist.FlowInfo{Src: f.Client.AddrPort().Addr(), Dst: f.Server.AddrPort().Addr()}
	if t := rec.TLS; t != nil {
		info.SNI, info.JA4 = t.SNI, t.JA4
		if t.JA3 != nil {
			info.JA3 = t.JA3.Hash
		}
	}
	return info
}
