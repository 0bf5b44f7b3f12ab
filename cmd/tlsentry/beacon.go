package main

import (
	"go.uber.org/zap"

	"github.com/tlsentry/tlsentry/detector/beacon"
	"github.com/tlsentry/tlsentry/sensor/config"
)

// newBeaconTracker is the beacon tracker cfg asks for; nil when
// beacon.enabled is false.
func newBeaconTracker(cfg *config.Config) (*beacon.Tracker, error) {
	if !cfg.Beacon.Enabled {
		return nil, nil
	}
	t, err := beacon.NewTracker(cfg.Beacon.Tracker())
	if err != nil {
		return nil, cfg.Errorf("beacon", "%v", err)
	}
	return t, nil
}

// beaconFields are the tracker's counts for the daemon's stop line.
func beaconFields(t *beacon.Tracker) []zap.Field {
	if t == nil {
		return nil
	}
	st := t.Stats()
	return []zap.Field{zap.Int("beacon_pairs", st.Pairs), zap.Uint64("beacon_pair_evictions", st.PairEvictions),
		zap.Uint64("beacon_findings", st.Findings), zap.Uint64("beacon_updates", st.Updates)}
}
