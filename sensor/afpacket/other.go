//go:build !linux

package afpacket

import (
	"context"
	"errors"

	"go.uber.org/zap"

	"github.com/tlsentry/tlsentry/sensor/decode"
)

// Capture reads packets from a network interface; AF_PACKET capture
// exists on Linux only.
type Capture struct {
	Decoder *decode.Decoder
	Log     *zap.Logger
}

// ErrNoSuchInterface is wrapped when the interface to capture on does not exist.
var ErrNoSuchInterface = errors.New("no such network interface")

// ErrInterfaceDown is wrapped when the interface to capture on is down.
var ErrInterfaceDown = errors.New("interface is down")

var errLiveUnsupported = errors.New("live capture needs Linux (AF_PACKET)")

// Open fails: live capture needs Linux.
func Open(cfg Config) (*Capture, error) { return nil, errLiveUnsupported }

// Config returns the zero config.
func (c *Capture) Config() Config { return Config{} }

// Run fails: live capture needs Linux.
func (c *Capture) Run(ctx context.Context, sinks []Sink) error { return errLiveUnsupported }

// Close does nothing.
func (c *Capture) Close() error { return nil }

// Stats returns no counters.
func (c *Capture) Stats() Stats { return Stats{} }

// SpreadError is nil: there is no capture to spread.
func (c *Capture) SpreadError() error { return nil }
