package eve

// A flow's alert records are its flow record with another timestamp and
// event_type, the alert object before the flow object, and the finding
// (and the alerts the rate limit held back) in the verdict: Spliced
// encodes the flow record once and copies its spans into each alert
// record, rather than encoding the tls object and the prefix's base64
// again for each.

// alertCuts are the offsets in an encoded flow record where its alert
// records insert: the alert object, the verdict's finding, and its
// alerts_suppressed.
type alertCuts struct{ alert, finding, held int }

// Spliced is one scored flow's record, encoded once for its alert
// records and itself. The zero value is ready; Splice reuses its memory.
type Spliced struct {
	rec  []byte // the flow record
	head int    // where its members after event_type (or flow_id and in_iface) start
	cuts alertCuts
	body bool
	ok   bool // the record has a verdict, so cuts holds
}

// Splice encodes rec, a flow record with no alert object and no finding
// (the flow record of a scored flow), as AppendJSON does, or as
// AppendBody does with body.
func (s *Spliced) Splice(rec *FlowRecord, body bool) {
	b := s.rec[:0]
	if body {
		b = rec.appendBodyHead(b)
	} else {
		b = rec.appendHead(b, rec.Timestamp, rec.EventType)
	}
	s.head, s.body = len(b), body
	s.cuts = alertCuts{-1, -1, -1}
	s.rec = rec.appendMembers(b, !body, &s.cuts)
	s.ok = rec.Alert == nil && rec.Sensor.Verdict != nil && rec.Sensor.Verdict.Finding == "" &&
		rec.Sensor.Verdict.AlertsSuppressed == 0 && s.cuts.finding >= 0
}

// Flow is the flow record Splice encoded; valid until the next Splice.
func (s *Spliced) Flow() []byte { return s.rec }

// AppendAlert appends an alert record of the flow rec that Splice
// encoded (rec unchanged since): the bytes AppendJSON (AppendBody)
// writes for rec with event_type alert, timestamp ts (not in a body),
// alert object a, and the verdict's finding and alerts_suppressed set to
// finding and held.
func (s *Spliced) AppendAlert(b []byte, rec *FlowRecord, ts string, a *Alert, finding string, held uint64) []byte {
	if !s.ok {
		return s.appendAlertWhole(b, rec, ts, a, finding, held)
	}
	if s.body {
		b = append(b, s.rec[:s.head]...)
	} else {
		b = rec.appendHead(b, ts, TypeAlert)
	}
	b = append(b, s.rec[s.head:s.cuts.alert]...)
	b = append(b, `,"alert":`...)
	b = a.appendJSON(b)
	b = append(b, s.rec[s.cuts.alert:s.cuts.finding]...)
	if finding != "" {
		b = appendStringField(b, "finding", finding)
	}
	b = append(b, s.rec[s.cuts.finding:s.cuts.held]...)
	if held != 0 {
		b = appendUintField(b, "alerts_suppressed", held)
	}
	return append(b, s.rec[s.cuts.held:]...)
}

// appendAlertWhole is AppendAlert by encoding the whole record, for a
// record Splice cannot cut (no verdict).
func (s *Spliced) appendAlertWhole(b []byte, rec *FlowRecord, ts string, a *Alert, finding string, held uint64) []byte {
	r := *rec
	r.Timestamp, r.EventType, r.Alert = ts, TypeAlert, a
	if v := rec.Sensor.Verdict; v != nil {
		vc := *v
		vc.Finding, vc.AlertsSuppressed = finding, held
		r.Sensor.Verdict = &vc
	}
	if s.body {
		return r.AppendBody(b)
	}
	return r.AppendJSON(b)
}
