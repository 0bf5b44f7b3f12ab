package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestBeaconSet: the beacon metrics follow the tracker's counts: gauges
// as they are, counters by what they grew since the last Set.
func TestBeaconSet(t *testing.T) {
	m, _ := newTest(t)
	b := m.Beacon
	b.Set(BeaconCounts{Pairs: 10, Destinations: 4, Events: 100, PairEvictions: 2, Findings: 1})
	b.Set(BeaconCounts{Pairs: 7, Destinations: 5, Events: 250, PairEvictions: 2, Findings: 3, Updates: 2})
	for name, c := range map[string]struct{ got, want float64 }{
		"pairs":        {testutil.ToFloat64(b.Pairs), 7},
		"destinations": {testutil.ToFloat64(b.Destinations), 5},
		"events":       {testutil.ToFloat64(b.Events), 250},
		"evictions":    {testutil.ToFloat64(b.PairEvictions), 2},
		"new":          {testutil.ToFloat64(b.Findings.WithLabelValues(BeaconNew)), 3},
		"updates":      {testutil.ToFloat64(b.Findings.WithLabelValues(BeaconUpdate)), 2},
	} {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", name, c.got, c.want)
		}
	}
}
