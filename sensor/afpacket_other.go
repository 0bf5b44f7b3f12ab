//go:build !linux

package sensor

import (
	"context"
	"errors"
)

// LiveCapture reads packets from a network interface; AF_PACKET capture
// exists on Linux only.
type LiveCapture struct {
	Decoder *Decoder
}

// ErrNoSuchInterface is wrapped when the interface to capture on does not exist.
var ErrNoSuchInterface = errors.New("no such network interface")

var errLiveUnsupported = errors.New("live capture needs Linux (AF_PACKET)")

// OpenLive fails: live capture needs Linux.
func OpenLive(cfg LiveConfig) (*LiveCapture, error) { return nil, errLiveUnsupported }

// Config returns the zero config.
func (c *LiveCapture) Config() LiveConfig { return LiveConfig{} }

// Run fails: live capture needs Linux.
func (c *LiveCapture) Run(ctx context.Context, sinks []LiveSink) error { return errLiveUnsupported }

// Close does nothing.
func (c *LiveCapture) Close() error { return nil }

// Stats returns no counters.
func (c *LiveCapture) Stats() LiveStats { return LiveStats{} }
