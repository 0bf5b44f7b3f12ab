package natsout

import (
	"context"
	"errors"
	"math/bits"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// sent is a record in flight, until the client's word on it.
type sent struct {
	rec           *record
	at            time.Time
	acked, failed bool
}

// ackEvent is the client's word on one message: its acknowledgement or
// why there is none.
type ackEvent struct {
	msg *nats.Msg
	ack *jetstream.PubAck
	err error
}

// ackBox takes ack events from the client's callbacks without ever
// blocking them; the publisher drains it.
type ackBox struct {
	mu     sync.Mutex
	events []ackEvent
	wake   chan struct{} // cap 1
}

func (b *ackBox) put(e ackEvent) {
	b.mu.Lock()
	b.events = append(b.events, e)
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// take returns the events so far, reusing buf.
func (b *ackBox) take(buf []ackEvent) []ackEvent {
	b.mu.Lock()
	defer b.mu.Unlock()
	buf = append(buf[:0], b.events...)
	clear(b.events)
	b.events = b.events[:0]
	return buf
}

// publisher is the state of the publishing goroutine.
type publisher struct {
	o        *Output
	window   []*sent             // in flight, in send order
	inflight map[*nats.Msg]*sent // the same, by message
	resend   []*record           // to send before anything else, in order
	events   []ackEvent          // scratch for the ack box
	down     bool                // waiting for the server: until retryAt, and connected
	// draining: a send failed; nothing new is sent until the client has
	// had its word on every record in flight, then the failed ones go
	// first in line.
	draining bool
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
	p := &publisher{o: o, backoff: minBackoff, down: true, retryAt: time.Now(), inflight: map[*nats.Msg]*sent{}}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	retry := time.NewTimer(0)
	defer retry.Stop()
	var deadline <-chan time.Time // set once stopping
	stopping, stop := false, o.stop
	defer func() { p.leave() }()

	for {
		p.settle()
		if p.down && time.Now().After(p.retryAt) && o.nc.IsConnected() {
			p.up(ctx)
		}
		if !p.down && !p.draining {
			p.fill()
		}
		if stopping && (p.idle() || p.down && !o.nc.IsConnected()) {
			return
		}

		var queue <-chan *record
		var wake <-chan struct{}
		if !p.down && !p.draining && len(p.window) < o.cfg.MaxInFlight && len(p.resend) == 0 {
			queue, wake = o.queue, o.wake
		}
		if p.down {
			retry.Reset(max(time.Until(p.retryAt), minBackoff))
		}
		select {
		case <-o.acks.wake: // settled at the top
		case r := <-queue:
			p.resend = append(p.resend, r)
		case <-wake:
		case <-retry.C:
		case <-tick.C:
			p.housekeeping()
		case <-stop:
			stopping, stop = true, nil
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

// settle takes in the client's acknowledgements and errors, then takes
// the acknowledged records off the front of the window, in order. Once a
// send failed and the client has had its word on every record in flight,
// the ones that failed go back first in line (resolve).
func (p *publisher) settle() {
	o := p.o
	p.events = o.acks.take(p.events)
	now := time.Now()
	for _, e := range p.events {
		s := p.inflight[e.msg]
		if s == nil {
			continue
		}
		delete(p.inflight, e.msg)
		if e.err != nil {
			s.failed = true
			p.fail(e.err)
			continue
		}
		s.acked = true
		s.rec.release() // the client is done with it
		lat := now.Sub(s.at).Seconds()
		o.m.AckLatency.Set(lat)
		o.m.AckSeconds.Observe(lat)
		o.m.kinds[s.rec.kind].acked.Inc()
		o.stats.acked.Add(1)
		if e.ack != nil && e.ack.Duplicate {
			o.m.Duplicates.Inc()
			o.stats.duplicates.Add(1)
		}
	}
	clear(p.events)
	n := 0
	for n < len(p.window) && p.window[n].acked {
		n++
	}
	if n > 0 {
		clear(p.window[:n])
		p.window = p.window[n:]
		p.failures, p.backoff = 0, minBackoff
	}
	if p.draining && len(p.inflight) == 0 {
		p.resolve()
	}
	o.m.InFlight.Set(float64(len(p.window)))
}

// fail notes a send that did not go through (an error from the client, or
// from the server through it): sending stops until the records in flight
// are settled.
func (p *publisher) fail(err error) {
	o := p.o
	if !p.draining {
		p.draining = true
		if p.failures++; bits.OnesCount64(p.failures) == 1 {
			o.log.Warn("NATS send failed; records wait and are sent again", zap.Error(err),
				zap.Int("in_flight", len(p.inflight)), zap.Uint64("failures_in_a_row", p.failures))
		}
	}
	if errors.Is(err, nats.ErrDisconnected) || errors.Is(err, nats.ErrConnectionClosed) {
		p.stream = false // make sure of it on the next connection
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) || errors.Is(err, jetstream.ErrNoStreamResponse) {
		o.m.StreamError.Inc()
		p.stream = false // create it again (it may have been deleted)
	}
}

// resolve puts the records that failed back first in line, in their
// order (the stream drops the copies it already has), and waits for the
// server: a backoff that doubles with each failure in a row.
func (p *publisher) resolve() {
	again := make([]*record, 0, len(p.window)+len(p.resend))
	for _, s := range p.window {
		if !s.acked {
			s.rec.buf = nil // never back to the pool: a client that failed once is not trusted with it
			again = append(again, s.rec)
		}
	}
	p.window = nil
	p.resend = append(again, p.resend...)
	p.draining, p.down = false, true
	p.retryAt = time.Now().Add(p.backoff)
	p.backoff = min(2*p.backoff, maxBackoff)
}

// up is called when the server may be back: the stream is created if
// configured, and sending resumes.
func (p *publisher) up(ctx context.Context) {
	if p.o.cfg.CreateStream && !p.stream {
		if err := EnsureStream(ctx, p.o.js, p.o.cfg); err != nil {
			p.fail(err)
			p.resolve()
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
		if len(p.resend) == 0 {
			if p.resend = o.take(p.resend, o.cfg.MaxInFlight-len(p.window)); len(p.resend) == 0 {
				return
			}
		}
		if !p.send(p.resend[0]) {
			return
		}
		p.resend[0] = nil
		p.resend = p.resend[1:]
	}
}

// send publishes r; false when the server is away (r stays first in
// line).
func (p *publisher) send(r *record) bool {
	o := p.o
	if o.cfg.CreateStream && !p.stream {
		p.fail(errors.New("stream not yet created"))
		return false
	}
	msg := &nats.Msg{Subject: o.subjects[r.kind], Data: r.data, Header: nats.Header{jetstream.MsgIDHeader: []string{r.id}}}
	_, err := o.js.PublishMsgAsync(msg)
	switch {
	case errors.Is(err, nats.ErrMaxPayload):
		o.dropped(r.kind, DropTooLarge, 1)
		r.release()
		return true
	case err != nil:
		p.fail(err)
		return false
	}
	st := &sent{rec: r, at: time.Now()}
	p.window = append(p.window, st)
	p.inflight[msg] = st
	switch {
	case r.attempts > 0:
		o.stats.resent.Add(1)
		o.m.Resent.Inc()
	case r.fromSpool:
		o.stats.replayed.Add(1)
		o.m.kinds[r.kind].replayed.Inc()
		fallthrough
	default:
		o.stats.published.Add(1)
		o.m.kinds[r.kind].published.Inc()
	}
	r.attempts++
	return true
}

// take appends up to n records to buf: from the queue, else from the
// spool (the queue is older: while the spool holds records nothing enters
// it). Records come from the spool in batches, so that the publisher and
// the writers spooling meanwhile take its lock once per batch.
func (o *Output) take(buf []*record, n int) []*record {
	for len(buf) < n {
		select {
		case r := <-o.queue:
			buf = append(buf, r)
			continue
		default:
		}
		break
	}
	if len(buf) > 0 {
		return buf
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.spooling || o.spool == nil {
		return buf
	}
	for len(buf) < n {
		r, err := o.spool.Next()
		if err != nil {
			o.spoolFailed(err)
			break
		}
		if r == nil {
			o.spooling = false // empty: records go to the queue again
			break
		}
		buf = append(buf, r)
	}
	o.spoolGauges()
	return buf
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
		if !s.acked {
			left = append(left, s.rec)
		}
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
			o.m.kinds[r.kind].spooled.Inc()
		}
		o.spooling = true
		o.spoolGauges()
	}
}
