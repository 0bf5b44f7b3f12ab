package bounds

import (
	"errors"
	"fmt"
	"math"
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

func TestFloat64(t *testing.T) {
	share := Interval{Lo: 0, Hi: 0.5, LoOpen: true, HiOpen: true}
	closed := Interval{Lo: 1, Hi: 10}
	for _, tc := range []struct {
		v    float64
		r    Interval
		want string // "" when in range
	}{
		{0.1, share, ""},
		{0, share, "X: 0 is out of range (more than 0 and less than 0.5)"},
		{0.5, share, "X: 0.5 is out of range (more than 0 and less than 0.5)"},
		{-1, share, "X: -1 is out of range (more than 0 and less than 0.5)"},
		{math.NaN(), share, "X: NaN is not a number (more than 0 and less than 0.5)"},
		{math.Inf(1), share, "X: +Inf is out of range (more than 0 and less than 0.5)"},
		{1, closed, ""},
		{10, closed, ""},
		{10.5, closed, "X: 10.5 is out of range (at least 1 and at most 10)"},
	} {
		var errs []error
		Float64(&errs, "X", tc.v, tc.r)
		switch {
		case tc.want == "" && len(errs) != 0:
			t.Errorf("%v in %v: %v", tc.v, tc.r, errs)
		case tc.want != "" && (len(errs) != 1 || errs[0].Error() != tc.want || errs[0].(*Error).Range != nil):
			t.Errorf("%v in %v: %v, want %q", tc.v, tc.r, errs, tc.want)
		}
		if got := tc.r.Contains(tc.v); got != (tc.want == "") {
			t.Errorf("Contains(%v) = %v", tc.v, got)
		}
	}
}
