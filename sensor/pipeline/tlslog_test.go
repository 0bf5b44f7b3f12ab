package pipeline_test

import (
	"testing"
)

// TestLogSinkTLSLogHasShedFlows: a live pipeline whose scorer is stuck
// sheds most TLS flows; each still has its tls record (a TLS session,
// scored or not), and the SSH flows none.
func TestLogSinkTLSLogHasShedFlows(t *testing.T) {
	var tlsPath string
	p, sink := stuckRun(t, 31, func(d *daemonPipeline) {
		d.logs.TLS, tlsPath = openLog(t, t.TempDir(), "tls.json")
	})
	st := p.Stats()
	if st.Dropped == 0 {
		t.Fatalf("stats %+v: want flows shed", st)
	}
	recs := readEve(t, tlsPath) // each checked against the schema
	seen := map[uint64]bool{}
	for _, r := range recs {
		if r.EventType != "tls" || r.TLS == nil || r.Host != "test-sensor" || r.Src(t).As4()[1] != benignNet || seen[r.FlowID] {
			t.Errorf("tls record %+v", r)
		}
		seen[r.FlowID] = true
	}
	if len(recs) != 40 || sink.Stats().TLSLines != 40 {
		t.Errorf("%d tls records (%d counted), want one per TLS flow (40), %d of them shed", len(recs), sink.Stats().TLSLines, st.Dropped)
	}
}
