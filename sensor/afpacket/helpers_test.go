//go:build linux

package afpacket

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/flow"
)

// liveRecorder is a Sink for one worker: it feeds its own flow table
// and records what it was given. Its lock only lets the test look while
// the capture runs.
type liveRecorder struct {
	mu        sync.Mutex
	table     *flow.Table
	flows     []*flow.Flow
	clientOf  func(flow.Endpoint) bool // tells the client side of a segment
	dirs      map[flow.Endpoint]*[2]int
	segs      int
	wire      int // sum of WireLen
	truncated int // segments whose payload was cut short by the capture
	maxPay    int // largest captured payload
	ticks     int
	lastTick  time.Time
}

func newLiveRecorders(t *testing.T, n int, clientOf func(flow.Endpoint) bool) []*liveRecorder {
	t.Helper()
	return newLiveRecordersWith(t, n, flow.DefaultConfig(), clientOf)
}

// newLiveRecordersWith is newLiveRecorders with tables of configuration cfg.
func newLiveRecordersWith(t *testing.T, n int, cfg flow.Config, clientOf func(flow.Endpoint) bool) []*liveRecorder {
	t.Helper()
	out := make([]*liveRecorder, n)
	for i := range out {
		r := &liveRecorder{clientOf: clientOf, dirs: map[flow.Endpoint]*[2]int{}}
		tab, err := flow.NewTable(cfg, func(f *flow.Flow) { r.flows = append(r.flows, f) })
		if err != nil {
			t.Fatal(err)
		}
		r.table = tab
		out[i] = r
	}
	return out
}

func liveSinks(rs []*liveRecorder) []Sink {
	out := make([]Sink, len(rs))
	for i, r := range rs {
		out[i] = r
	}
	return out
}

func (r *liveRecorder) Process(s *flow.Segment) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.segs++
	r.wire += s.WireLen
	if s.PayloadLen > len(s.Payload) {
		r.truncated++
	}
	r.maxPay = max(r.maxPay, len(s.Payload))
	if r.clientOf != nil {
		ep, dir := s.Src, 0
		if !r.clientOf(ep) {
			ep, dir = s.Dst, 1
		}
		d := r.dirs[ep]
		if d == nil {
			d = new([2]int)
			r.dirs[ep] = d
		}
		d[dir]++
	}
	r.table.Process(s)
}

func (r *liveRecorder) Tick(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ticks++
	r.lastTick = now
	r.table.Advance(now)
}

// flowOf returns the flow handed out for the client endpoint, if any.
// segments is how many segments the recorder was given so far.
func (r *liveRecorder) segments() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.segs
}

func (r *liveRecorder) flowOf(client flow.Endpoint) *flow.Flow {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range r.flows {
		if f.Client == client {
			return f
		}
	}
	return nil
}

func (r *liveRecorder) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.table.Flush()
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// runLive starts c.Run in the background; the returned function cancels
// it and returns Run's error, failing t if it does not stop promptly.
func runLive(t *testing.T, c *Capture, sinks []Sink) (stop func() error, done <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx, sinks) }()
	t.Cleanup(func() { cancel(); c.Close() })
	return func() error {
		cancel()
		select {
		case err := <-errc:
			return err
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return within 5s of cancel")
			return nil
		}
	}, errc
}

// tableSink makes a flow table a Sink: Tick advances its time.
type tableSink struct{ *flow.Table }

func (t tableSink) Tick(now time.Time) { t.Advance(now) }

// flowsOf counts the flows handed out for the client endpoint.
func (r *liveRecorder) flowsOf(client flow.Endpoint) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, f := range r.flows {
		if f.Client == client {
			n++
		}
	}
	return n
}

// tickCount is how many ticks the recorder got so far.
func (r *liveRecorder) tickCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ticks
}
