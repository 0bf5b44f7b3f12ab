package main

import (
	"github.com/tlsentry/tlsentry/detector/scan"
	"github.com/tlsentry/tlsentry/sensor/config"
)

// newScanTracker is the TLS scan tracker cfg asks for; nil when
// scan.enabled is false.
func newScanTracker(cfg *config.Config) (*scan.Tracker, error) {
	if !cfg.Scan.Enabled {
		return nil, nil
	}
	t, err := scan.New(cfg.Scan.Tracker())
	if err != nil {
		return nil, cfg.Errorf("scan", "%v", err)
	}
	return t, nil
}
