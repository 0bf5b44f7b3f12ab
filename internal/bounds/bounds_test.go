package bounds

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestRangesAndFields(t *testing.T) {
	var errs []error
	Int(&errs, "Workers", 0, 1, 64)
	Int(&errs, "Workers", 64, 1, 64) // in range: no error
	Duration(&errs, "Timeout", 2*time.Hour, time.Second, time.Hour)
	Add(&errs, "Size", "must be a power of two")
	err := fmt.Errorf("wrapped: %w", errors.Join(errs...))
	got := Fields(err)
	if len(got) != 3 {
		t.Fatalf("%d fields, want 3: %v", len(got), err)
	}
	if r := got[0].Range; got[0].Field != "Workers" || r == nil || r.Value != 0 || r.Min != 1 || r.Max != 64 || r.Duration {
		t.Errorf("first: %+v %+v", got[0], r)
	}
	if got[1].Msg != "2h is out of range (1s-1h)" || !got[1].Range.Duration {
		t.Errorf("duration: %q %+v", got[1].Msg, got[1].Range)
	}
	if got[2].Range != nil || got[2].Error() != "Size: must be a power of two" {
		t.Errorf("other: %v", got[2])
	}
	if !Is(err, "Timeout") || Is(err, "Other") {
		t.Error("Is")
	}
	if Fields(errors.New("plain")) != nil {
		t.Error("a plain error has no fields")
	}
}
