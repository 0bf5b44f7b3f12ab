package natsout

import (
	"context"
	"errors"
	"math/bits"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// sent is a record in flight.
type sent struct {
	rec  *record
	paf  jetstream.PubAckFuture
	at   time.Time
	ok   <-chan *jetstream.PubAck
	fail <-chan error
}

// publisher is the state of the publishing goroutine.
type publisher struct {
	o      *Output
	window []sent    // in flight, in send order
	resend []*record // to send before anything else, in order
	down   bool      // waiting for the server: until retryAt, and connected
	// retryAt is when to try again; backoff doubles on each failure in a
	// row, up to maxBackoff.
	retryAt  time.Time
	backoff  time.Duration
	failures uint64
	stream   bool // the stream was created on this connection
}

const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// publish runs the publisher until Close (after sending what it can) or
// ctx's end (at once).
func (o *Output) publish(ctx context.Context) {
	defer close(o.done)
	// Down until the first connection (and the stream) is there.
	p := &publisher{o: o, backoff: minBackoff, down: true, retryAt: time.Now()}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	retry := time.NewTimer(0)
	defer retry.Stop()
	var deadline <-chan time.Time // set once stopping
	stopping := false
	defer func() { p.leave() }()

	for {
		p.settle()
		if p.down && time.Now().After(p.retryAt) && o.nc.IsConnected() {
			p.up(ctx)
		}
		if !p.down {
			p.fill()
		}
		if stopping && (p.idle() || p.down && !o.nc.IsConnected()) {
			return
		}

		var front sent
		if len(p.window) > 0 {
			front = p.window[0]
		}
		var queue <-chan *record
		var wake <-chan struct{}
		if !p.down && len(p.window) < o.cfg.MaxInFlight && len(p.resend) == 0 {
			queue, wake = o.queue, o.wake
		}
		if p.down {
			retry.Reset(max(time.Until(p.retryAt), minBackoff))
		}
		select {
		case ack := <-front.ok:
			p.acked(ack)
		case err := <-front.fail:
			p.failed(err)
		case r := <-queue:
			p.resend = append(p.resend, r)
		case <-wake:
		case <-retry.C:
		case <-tick.C:
			p.housekeeping()
		case <-o.stop:
			stopping = true
			o.stop = nil
			if o.cfg.CloseTimeout > 0 {
				deadline = time.After(o.cfg.CloseTimeout)
			} else {
				return
			}
		case <-deadline:
			return
		case <-ctx.Done():
			return
		}
	}
}

// idle reports whether everything was sent and acknowledged.
func (p *publisher) idle() bool {
	if len(p.window) > 0 || len(p.resend) > 0 || len(p.o.queue) > 0 {
		return false
	}
	p.o.mu.Lock()
	defer p.o.mu.Unlock()
	n, _ := p.o.spool.Len()
	return n == 0
}

// settle takes the acknowledgements at the front of the window, in
// order; a failed one means the server is away or refusing.
func (p *publisher) settle() {
	for len(p.window) > 0 {
		s := p.window[0]
		select {
		case ack := <-s.ok:
			p.acked(ack)
			continue
		case err := <-s.fail:
			p.failed(err)
		default:
		}
		break
	}
	p.o.m.InFlight.Set(float64(len(p.window)))
}

// acked takes the front of the window off: the stream has it.
func (p *publisher) acked(ack *jetstream.PubAck) {
	o := p.o
	s := p.window[0]
	p.window = p.window[1:]
	lat := time.Since(s.at).Seconds()
	o.m.AckLatency.Set(lat)
	o.m.AckSeconds.Observe(lat)
	o.m.Acked.WithLabelValues(s.rec.kind.String()).Inc()
	o.stats.acked.Add(1)
	if ack != nil && ack.Duplicate {
		o.m.Duplicates.Inc()
		o.stats.duplicates.Add(1)
	}
	p.failures, p.backoff = 0, minBackoff
}

// failed handles a send that did not go through: everything in flight
// is sent again, in order, once the server is back (the stream drops the
// copies it already has).
func (p *publisher) failed(err error) {
	o := p.o
	again := make([]*record, 0, len(p.window)+len(p.resend))
	for _, s := range p.window {
		again = append(again, s.rec)
	}
	p.window = p.window[:0]
	p.resend = append(again, p.resend...)
	p.down = true
	p.stream = p.stream && !errors.Is(err, nats.ErrDisconnected) && !errors.Is(err, nats.ErrConnectionClosed)
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) || errors.Is(err, jetstream.ErrNoStreamResponse) {
		o.m.StreamError.Inc()
		p.stream = false // create it again (it may have been deleted)
	}
	p.retryAt = time.Now().Add(p.backoff)
	p.backoff = min(2*p.backoff, maxBackoff)
	if p.failures++; bits.OnesCount64(p.failures) == 1 {
		o.log.Warn("NATS send failed; records wait and are sent again", zap.Error(err),
			zap.Int("waiting", len(p.resend)), zap.Uint64("failures_in_a_row", p.failures))
	}
}

// up is called when the server may be back: the stream is created if
// configured, and sending resumes.
func (p *publisher) up(ctx context.Context) {
	if p.o.cfg.CreateStream && !p.stream {
		if err := EnsureStream(ctx, p.o.js, p.o.cfg); err != nil {
			p.failed(err)
			return
		}
		p.stream = true
	}
	p.down = false
}

// fill sends records until the window is full or nothing is left.
func (p *publisher) fill() {
	o := p.o
	for len(p.window) < o.cfg.MaxInFlight {
		var r *record
		if len(p.resend) > 0 {
			r = p.resend[0]
		} else if r = o.next(); r == nil {
			return
		} else {
			p.resend = append(p.resend, r)
		}
		if !p.send(r) {
			return
		}
		p.resend = p.resend[1:]
	}
}

// send publishes r; false when the server is away (r stays first in
// line).
func (p *publisher) send(r *record) bool {
	o := p.o
	if o.cfg.CreateStream && !p.stream {
		p.failed(errors.New("stream not yet created"))
		return false
	}
	msg := &nats.Msg{Subject: o.subjects[r.kind], Data: r.data, Header: nats.Header{jetstream.MsgIDHeader: []string{r.id}}}
	paf, err := o.js.PublishMsgAsync(msg)
	switch {
	case errors.Is(err, nats.ErrMaxPayload):
		o.dropped(r.kind, DropTooLarge, 1)
		return true
	case err != nil:
		p.failed(err)
		return false
	}
	p.window = append(p.window, sent{rec: r, paf: paf, at: time.Now(), ok: paf.Ok(), fail: paf.Err()})
	switch {
	case r.attempts > 0:
		o.stats.resent.Add(1)
		o.m.Resent.Inc()
	case r.fromSpool:
		o.stats.replayed.Add(1)
		o.m.Replayed.WithLabelValues(r.kind.String()).Inc()
		fallthrough
	default:
		o.stats.published.Add(1)
		o.m.Published.WithLabelValues(r.kind.String()).Inc()
	}
	r.attempts++
	return true
}

// next takes the next record: from the queue, else from the spool (the
// queue is older: while the spool holds records nothing enters it).
func (o *Output) next() *record {
	select {
	case r := <-o.queue:
		return r
	default:
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.spooling || o.spool == nil {
		return nil
	}
	r, err := o.spool.Next()
	if err != nil {
		o.spoolFailed(err)
		return nil
	}
	if r == nil {
		o.spooling = false // empty: records go to the queue again
	}
	o.spoolGauges()
	return r
}

// housekeeping runs every second: the spool's buffer to its files, and
// the gauges.
func (p *publisher) housekeeping() {
	o := p.o
	o.mu.Lock()
	if o.spool != nil {
		if err := o.spool.Flush(); err != nil {
			o.spoolFailed(err)
		}
	}
	o.mu.Unlock()
	o.m.Queued.Set(float64(len(o.queue)))
	if o.nc.IsConnected() {
		o.m.Connected.Set(1)
	} else {
		o.m.Connected.Set(0)
	}
}

// leave hands what the publisher holds (in flight, to resend) to the
// spool's front, for Close or the next run.
func (p *publisher) leave() {
	o := p.o
	var left []*record
	for _, s := range p.window {
		left = append(left, s.rec)
	}
	left = append(left, p.resend...)
	p.window, p.resend = nil, nil
	o.m.InFlight.Set(0)
	o.mu.Lock()
	defer o.mu.Unlock()
	// The queue is older than the spool; the records in hand older still.
	for {
		select {
		case r := <-o.queue:
			left = append(left, r)
			continue
		default:
		}
		break
	}
	if len(left) > 0 && o.spool != nil {
		if err := o.spool.Prepend(left); err != nil {
			o.spoolFailed(err)
		}
		for _, r := range left {
			o.stats.spooled.Add(1)
			o.m.Spooled.WithLabelValues(r.kind.String()).Inc()
		}
		o.spooling = true
		o.spoolGauges()
	}
}
