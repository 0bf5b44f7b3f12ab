package natsout

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Options are what an Output needs besides its Config.
type Options struct {
	// Sensor names the sensor: in message ids, and in the default
	// subject prefix.
	Sensor string
	// Conn is the connection to publish on (Connect makes one that keeps
	// trying while the server is away). The Output does not close it.
	Conn *nats.Conn
	// Metrics; nil: counted in a registry of the Output's own.
	Metrics *Metrics
	// Log is the daemon's own log; nil: none.
	Log *zap.Logger
}

// Output publishes eve records to JetStream, each to PREFIX.TYPE with a
// Nats-Msg-Id unique per sensor and record, so that the stream's
// duplicate window makes every resend idempotent.
//
// Records arrive through Writers (one per record type), which never
// block: a record goes to a bounded in-memory queue for the publisher
// goroutine, or, when that is full or the spool already holds records,
// to the end of the on-disk spool. The publisher sends what it takes
// asynchronously, at most MaxInFlight unacknowledged; a send that fails
// or whose acknowledgement does not come in time is sent again, first
// and in order, once everything in flight is settled and the server is
// back. Order is kept throughout: records in flight, then
// the queue, then the spool.
type Output struct {
	cfg      Config
	prefix   string
	subjects [numKinds]string
	idPrefix string // sensor-run-: a record's id is this and its sequence number
	nc       *nats.Conn
	js       jetstream.JetStream
	acks     *ackBox
	m        *Metrics
	log      *zap.Logger

	seq atomic.Uint64 // last sequence number given

	mu       sync.Mutex // writers and the publisher around queue and spool
	spooling bool       // the spool holds records: new ones go behind them
	closed   bool
	spool    *spool
	queue    chan *record
	wake     chan struct{} // the spool got records

	stop    chan struct{} // Close: send what is in hand, then stop
	done    chan struct{} // the publisher has stopped
	started atomic.Bool
	stopped sync.Once

	stats       counters
	spoolErrors atomic.Uint64
	leftInSpool atomic.Int64 // records the closed spool kept
}

// counters back Stats.
type counters struct {
	published, resent, acked, duplicates, spooled, replayed, dropped atomic.Uint64
}

// Stats counts what an Output did.
type Stats struct {
	Published  uint64 // records sent (first sends)
	Resent     uint64 // sends repeated after a lost acknowledgement
	Acked      uint64 // records the stream acknowledged
	Duplicates uint64 // acknowledged as already stored
	Spooled    uint64 // records written to the spool
	Replayed   uint64 // records sent from the spool
	Dropped    uint64 // records given up (counted by reason in the metrics)
	InSpool    int64  // records in the spool now (once closed: left for the next run)
}

// New opens the spool (finding what an earlier run left in it) and makes
// an Output; Start starts publishing.
func New(cfg Config, opts Options) (*Output, error) {
	if !cfg.Enabled() {
		return nil, errors.New("natsout: no servers: the output is off")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("natsout: %w", err)
	}
	if opts.Conn == nil {
		return nil, errors.New("natsout: no connection")
	}
	prefix := cfg.Prefix(opts.Sensor)
	if err := cfg.CheckPrefix(prefix); err != nil {
		return nil, err
	}
	m := opts.Metrics
	if m == nil {
		var err error
		if m, err = NewMetrics(prometheus.NewRegistry()); err != nil {
			return nil, err
		}
	}
	log := opts.Log
	if log == nil {
		log = zap.NewNop()
	}
	run := make([]byte, 6)
	if _, err := rand.Read(run); err != nil {
		return nil, fmt.Errorf("natsout: run id: %w", err)
	}
	acks := &ackBox{wake: make(chan struct{}, 1)}
	js, err := jetstream.New(opts.Conn, jetstream.WithPublishAsyncTimeout(cfg.AckTimeout),
		jetstream.WithPublishAsyncAckHandler(func(_ jetstream.JetStream, m *nats.Msg, ack *jetstream.PubAck) {
			acks.put(ackEvent{msg: m, ack: ack})
		}),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, m *nats.Msg, err error) {
			acks.put(ackEvent{msg: m, err: err})
		}))
	if err != nil {
		return nil, fmt.Errorf("natsout: %w", err)
	}
	o := &Output{
		cfg:      cfg,
		prefix:   prefix,
		idPrefix: SubjectToken(opts.Sensor) + "-" + hex.EncodeToString(run) + "-",
		nc:       opts.Conn,
		js:       js,
		acks:     acks,
		m:        m,
		log:      log,
		queue:    make(chan *record, cfg.QueueSize),
		wake:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	for k := range numKinds {
		o.subjects[k] = prefix + "." + kind(k).String()
	}
	o.spool, err = openSpool(cfg.SpoolDir, int64(cfg.SpoolSizeMB)<<20, o.dropped)
	if err != nil {
		return nil, err
	}
	// Records an earlier run left come first; new ones number after them.
	o.seq.Store(o.spool.lastSeq)
	if n, _ := o.spool.Len(); n > 0 {
		o.spooling = true
		o.wake <- struct{}{}
		log.Info("records left in the NATS spool by the last run will be sent first", zap.Int64("records", n))
	}
	o.spoolGauges()
	return o, nil
}

// Prefix is the subject prefix records go under.
func (o *Output) Prefix() string { return o.prefix }

// Subject is the subject records of type t go to.
func (o *Output) Subject(t string) string { return o.prefix + "." + t }

// Writer takes lines of one record type (TypeAlert, TypeFlow) for the
// output: the eve log of that type forwards its lines to it.
func (o *Output) Writer(recordType string) (*Writer, error) {
	k, ok := kindOf(recordType)
	if !ok {
		return nil, fmt.Errorf("natsout: %q is not a record type", recordType)
	}
	return &Writer{o: o, kind: k}, nil
}

// Writer hands one type's records to an Output.
type Writer struct {
	o    *Output
	kind kind
}

// WriteLine takes one eve line (a JSON object; a trailing newline is not
// part of the record). It copies the line and returns at once: it never
// waits for the network, and what cannot be queued goes to the spool.
func (w *Writer) WriteLine(line []byte) {
	w.o.write(w.kind, bytes.TrimRight(line, "\r\n"))
}

func (o *Output) write(k kind, line []byte) {
	seq := o.seq.Add(1)
	id := make([]byte, 0, len(o.idPrefix)+20)
	id = append(id, o.idPrefix...)
	id = strconv.AppendUint(id, seq, 10)
	r := &record{kind: k, seq: seq, id: string(id)}
	r.setData(line)

	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		o.dropped(k, DropClosed, 1)
		r.release()
		return
	}
	if !o.spooling {
		select {
		case o.queue <- r:
			return
		default:
			// The publisher is behind (server slow or away): from now on
			// records go to the spool, behind the queue, until it is empty.
			o.spooling = true
		}
	}
	o.spoolLocked(r)
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// spoolLocked appends r to the spool; o.mu is held.
func (o *Output) spoolLocked(r *record) {
	kept, err := o.spool.Append(r)
	r.release() // the spool has its copy
	if err != nil {
		o.spoolFailed(err)
	}
	if kept {
		o.stats.spooled.Add(1)
		o.m.kinds[r.kind].spooled.Inc()
	}
	o.spoolGauges()
}

// dropped counts records given up.
func (o *Output) dropped(k kind, reason string, n int) {
	o.stats.dropped.Add(uint64(n))
	o.m.Dropped.WithLabelValues(k.String(), reason).Add(float64(n))
}

// spoolFailed logs a spool error: the 1st, 2nd, 4th, 8th...
func (o *Output) spoolFailed(err error) {
	if n := o.spoolErrors.Add(1); bits.OnesCount64(n) == 1 {
		o.log.Error("NATS spool error", zap.Error(err), zap.Uint64("errors", n))
	}
}

func (o *Output) spoolGauges() {
	n, b := o.spool.Len()
	o.m.SpoolRecs.Set(float64(n))
	o.m.SpoolBytes.Set(float64(b))
}

// Start starts the publisher. Cancelling ctx stops it at once (what is in
// hand goes to the spool); Close stops it after sending what it can.
func (o *Output) Start(ctx context.Context) {
	if o.started.Swap(true) {
		return
	}
	go o.publish(ctx)
}

// Close stops taking records, waits up to CloseTimeout for the records in
// hand (queue, spool and in flight) to be acknowledged (not at all while
// the server is away), puts the rest back in the spool for the next run,
// and closes the spool.
func (o *Output) Close() error {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
	if o.started.Load() {
		o.stopped.Do(func() { close(o.stop) })
		<-o.done
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	var left []*record
	for {
		select {
		case r := <-o.queue:
			left = append(left, r)
			continue
		default:
		}
		break
	}
	return o.closeSpool(left)
}

// closeSpool puts left (older than anything in the spool) back in front
// of the spool and closes it; o.mu is held.
func (o *Output) closeSpool(left []*record) error {
	if o.spool == nil {
		return nil
	}
	err := o.spool.Prepend(left)
	o.spoolGauges()
	if n, _ := o.spool.Len(); n > 0 {
		o.log.Warn("records wait in the NATS spool for the next start", zap.Int64("records", n), zap.String("spool", o.cfg.SpoolDir))
	}
	n, _ := o.spool.Len()
	o.leftInSpool.Store(n)
	err = errors.Join(err, o.spool.Close())
	o.spool = nil
	return err
}

// Stats returns the counters so far.
func (o *Output) Stats() Stats {
	s := Stats{
		Published:  o.stats.published.Load(),
		Resent:     o.stats.resent.Load(),
		Acked:      o.stats.acked.Load(),
		Duplicates: o.stats.duplicates.Load(),
		Spooled:    o.stats.spooled.Load(),
		Replayed:   o.stats.replayed.Load(),
		Dropped:    o.stats.dropped.Load(),
	}
	o.mu.Lock()
	if o.spool != nil {
		s.InSpool, _ = o.spool.Len()
	} else {
		s.InSpool = o.leftInSpool.Load()
	}
	o.mu.Unlock()
	return s
}
