package pipeline_test

import (
	"encoding/json"
	"testing"
)

// TestShedFlowRecordsAreLight: a live pipeline whose scorer is stuck sheds
// most flows; every flow still has one flow line, a shed one marked
// unscored with its reason, its counters, prefix_len and handshake
// fields, but without the prefix (its base64 was the cost of shedding),
// while scored flows keep theirs.
func TestShedFlowRecordsAreLight(t *testing.T) {
	var flowPath string
	p, sink := stuckRun(t, 41, func(d *daemonPipeline) {
		d.logs.Flows, flowPath = openLog(t, t.TempDir(), "flows.json")
	})
	st := p.Stats()
	if st.Dropped == 0 || st.Scored == 0 {
		t.Fatalf("stats %+v: want flows shed and flows scored", st)
	}
	readEve(t, flowPath) // every line fits the schema
	var shed, scored, withTLS int
	for _, line := range readLines(t, flowPath) {
		var rec struct {
			Flow struct {
				Pkts int `json:"pkts_toserver"`
			} `json:"flow"`
			TLS    *struct{ SNI string } `json:"tls"`
			Sensor struct {
				PrefixLen  int     `json:"prefix_len"`
				Prefix     *string `json:"prefix"`
				Unscored   string  `json:"unscored"`
				ShedReason string  `json:"shed_reason"`
				Score      *float64
			} `json:"tlsentry"`
		}
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatal(err)
		}
		s := rec.Sensor
		switch {
		case s.Unscored == "shed":
			shed++
			if s.ShedReason == "" || s.Prefix != nil || s.PrefixLen == 0 || s.Score != nil || rec.Flow.Pkts == 0 {
				t.Errorf("shed flow line %s: want its reason, prefix_len and counters, no prefix, no score", line)
			}
			if rec.TLS != nil && rec.TLS.SNI != "" {
				withTLS++
			}
		case s.Score != nil:
			scored++
			if s.Prefix == nil || s.PrefixLen == 0 {
				t.Errorf("scored flow line without its prefix: %s", line)
			}
		default:
			t.Errorf("flow line neither scored nor shed: %s", line)
		}
	}
	if uint64(shed) != st.Dropped || uint64(scored) != st.Scored || shed+scored != 45 || sink.Stats().FlowLines != 45 {
		t.Errorf("%d shed and %d scored flow lines (%d counted), want %d and %d, 45 in all", shed, scored, sink.Stats().FlowLines, st.Dropped, st.Scored)
	}
	if withTLS == 0 {
		t.Error("no shed flow line carries its parsed handshake (tls.sni)")
	}
}
