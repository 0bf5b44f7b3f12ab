package fleet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor/eve"
)

// FlowQuery says which flow records ReadFlows reads.
type FlowQuery struct {
	Stream  string    // the stream the sensors publish to
	Subject string    // flow subjects, such as tlsentry.*.flow
	Since   time.Time // records stored from then on; zero: all
	Max     int       // at most this many flows (0: no bound)
}

// FlowStats counts what ReadFlows read.
type FlowStats struct {
	Records   int // flow records read
	NoRaw     int // records without the raw handshake bytes (output.include_handshake off)
	Bad       int // records that did not parse
	NoPayload int // flows without payload (nothing to learn)
	Sensors   map[string]int
}

// ReadFlows reads the flow records the stream holds now (from Since on,
// on Subject) and turns each back into the flow its sensor scored, for
// training on the whole fleet's traffic. It stops at the last record
// there when it started, or at Max flows.
func ReadFlows(ctx context.Context, nc *nats.Conn, q FlowQuery) ([]*flow.Flow, FlowStats, error) {
	st := FlowStats{Sensors: map[string]int{}}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, st, fmt.Errorf("fleet: %w", err)
	}
	stream, err := js.Stream(ctx, q.Stream)
	if err != nil {
		return nil, st, fmt.Errorf("fleet: stream %s: %w", q.Stream, err)
	}
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter(q.Subject))
	if err != nil {
		return nil, st, fmt.Errorf("fleet: stream %s: %w", q.Stream, err)
	}
	last := info.State.LastSeq
	if info.State.Msgs == 0 {
		return nil, st, nil
	}
	cc := jetstream.OrderedConsumerConfig{FilterSubjects: []string{q.Subject}}
	if !q.Since.IsZero() {
		cc.DeliverPolicy = jetstream.DeliverByStartTimePolicy
		since := q.Since
		cc.OptStartTime = &since
	}
	cons, err := stream.OrderedConsumer(ctx, cc)
	if err != nil {
		return nil, st, fmt.Errorf("fleet: %w", err)
	}
	var flows []*flow.Flow
	for q.Max == 0 || len(flows) < q.Max {
		batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return flows, st, fmt.Errorf("fleet: read %s: %w", q.Stream, err)
		}
		n, done := 0, false
		for m := range batch.Messages() {
			n++
			md, err := m.Metadata()
			if err == nil && md.Sequence.Stream >= last {
				done = true
			}
			st.Records++
			f, err := eve.ParseFlowLine(m.Data())
			switch {
			case errors.Is(err, eve.ErrNoRaw):
				st.NoRaw++
			case err != nil:
				st.Bad++
			case len(f.Prefix) == 0:
				st.NoPayload++
			case q.Max == 0 || len(flows) < q.Max:
				flows = append(flows, f)
				st.Sensors[m.Subject()]++
			}
		}
		if err := batch.Error(); err != nil && n == 0 && !errors.Is(err, nats.ErrTimeout) {
			return flows, st, fmt.Errorf("fleet: read %s: %w", q.Stream, err)
		}
		if done || n == 0 {
			break
		}
	}
	return flows, st, ctx.Err()
}
