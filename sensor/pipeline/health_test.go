package pipeline

import (
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// TestShedHealthLineIsRateLimited: the first shed flow is told at once;
// then at most one line per interval, carrying the counts since the last
// one, and a last line at the end for what is left.
func TestShedHealthLineIsRateLimited(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	h := newShedHealth(zap.New(core), 4096)
	now := time.Unix(1_800_000_000, 0)
	h.now = func() time.Time { return now }

	h.note(shedSourceShare)
	for i := range 1000 {
		now = now.Add(time.Millisecond)
		h.note(shedSourceShare)
		h.note(shedLowerPriority)
		if i%10 == 0 {
			h.recordDropped()
		}
	}
	if logs.Len() != 1 {
		t.Fatalf("%d lines in 1 s of shedding, want 1", logs.Len())
	}
	now = now.Add(shedHealthEvery)
	h.note(shedLowerPriority)
	h.note(shedSourceShare)
	h.flush()
	lines := logs.AllUntimed()
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3 (first, after the interval, the end)", len(lines))
	}
	second := lines[1].ContextMap()
	if second["shed_source_share"] != uint64(1000) || second["shed_lower_priority"] != uint64(1001) || second["shed_total"] != uint64(2002) ||
		second["records_dropped"] != uint64(100) || second["records_dropped_total"] != uint64(100) {
		t.Errorf("second line %v: want the counts since the first", second)
	}
	last := lines[2].ContextMap()
	if last["shed_source_share"] != uint64(1) || last["shed_total"] != uint64(2003) ||
		last["records_dropped"] != uint64(0) || last["records_dropped_total"] != uint64(100) {
		t.Errorf("last line %v", last)
	}
	h.flush() // nothing new: no line
	if logs.Len() != 3 {
		t.Errorf("a flush with nothing shed wrote a line")
	}
}
