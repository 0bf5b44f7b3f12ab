package beacon

import (
	"testing"
	"time"
)

// A pair's flows say they belong to a beacon from the connection that
// completes its finding on, with the finding's id; a random pair's never
// do.
func TestObserveRhythm(t *testing.T) {
	tr := newTracker(t, Config{})
	b := beat{client: "10.0.0.5", server: "203.0.113.7:443", period: time.Minute, jitter: 0.1, n: 60, up: 1204, down: 5310, seed: 3, flowID: 1}
	var found Finding
	beacons := 0
	for i, ev := range b.events() {
		f, ok, rh := tr.Observe(ev)
		if ok && !f.Update {
			found = f
		}
		switch {
		case found.ID == 0 && rh.Beacon:
			t.Fatalf("connection %d: a beacon before any finding: %+v", i, rh)
		case found.ID != 0 && !rh.Beacon:
			t.Fatalf("connection %d: not a beacon after finding %x", i, found.ID)
		case rh.Beacon:
			beacons++
			if rh.ID != found.ID || rh.Count != int64(i+1) || rh.Score < DefaultThreshold {
				t.Fatalf("connection %d: rhythm %+v, finding %x", i, rh, found.ID)
			}
			if d := rh.Period - time.Minute; d < -6*time.Second || d > 6*time.Second {
				t.Fatalf("period %v, want about 1 min", rh.Period)
			}
		}
	}
	if found.ID == 0 || beacons == 0 {
		t.Fatalf("no finding (%d beacon connections); stats %+v", beacons, tr.Stats())
	}

	random := beat{client: "10.0.0.6", server: "198.51.100.9:443", period: time.Minute, jitter: 0.95, n: 60, up: 300, down: 9000, seed: 4, flowID: 5000}
	for _, ev := range random.events() {
		if _, ok, rh := tr.Observe(ev); ok || rh.Beacon {
			t.Fatalf("a random pair stands as a beacon: %+v", rh)
		}
	}
}
