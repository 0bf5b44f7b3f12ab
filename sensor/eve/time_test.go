package eve

import (
	"testing"
	"time"
)

func TestEveTimeMatchesFormat(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("x", -(3*3600 + 30*60)), time.FixedZone("y", 5*3600+45*60)}
	times := []time.Time{
		time.Date(2026, 11, 29, 2, 25, 46, 123456789, time.UTC),
		time.Date(1999, 1, 2, 3, 4, 5, 6000, time.UTC),
		time.Unix(0, 0),
		time.Date(2038, 12, 31, 23, 59, 59, 999999999, time.UTC),
	}
	for _, tm := range times {
		for _, z := range zones {
			in := tm.In(z)
			if got, want := FormatTime(in), in.Format(TimeFormat); got != want {
				t.Errorf("%v: %q, want %q", in, got, want)
			}
		}
	}
}
