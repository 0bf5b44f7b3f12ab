package evidence

import (
	"fmt"
	"testing"
	"time"
)

// TestDaysAsFmt holds days to the fmt wording it replaced, over hours,
// days, negative spans (a leaf whose NotAfter precedes its NotBefore) and
// the half-way roundings.
func TestDaysAsFmt(t *testing.T) {
	for _, d := range []time.Duration{0, -1, time.Minute, 30 * time.Minute, 90 * time.Minute, 47*time.Hour + 59*time.Minute, 48 * time.Hour,
		60 * time.Hour, 84 * time.Hour, 398 * 24 * time.Hour, 825*24*time.Hour + 12*time.Hour, -3 * time.Hour, -30 * time.Minute, -400 * 24 * time.Hour, 1<<63 - 1, -1 << 63} {
		want := fmt.Sprintf("%.0f days", d.Hours()/24)
		if d < 48*time.Hour {
			want = fmt.Sprintf("%.0f hours", d.Hours())
		}
		if got := days(d); got != want {
			t.Errorf("days(%v) = %q, want %q", d, got, want)
		}
	}
}
