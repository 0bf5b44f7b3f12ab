package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor/fleet"
)

// streamLearning is train's source when it learns from the fleet's
// stream: the flow records every sensor published with their handshake
// bytes (output.include_handshake).
type streamLearning struct {
	on      bool
	subject string
	since   time.Duration
	max     int
	conn    natsFlags
}

func (s *streamLearning) register(fs *flag.FlagSet) {
	fs.BoolVar(&s.on, "stream", false, "learn from the flow records of the fleet's NATS stream (output.nats.stream of -config, or -server) instead of captures")
	fs.StringVar(&s.subject, "subject", "tlsentry.*.flow", "with -stream: the flow records' subjects (every sensor's by default)")
	fs.DurationVar(&s.since, "since", 0, "with -stream: only records stored this long ago or later (0: all)")
	fs.IntVar(&s.max, "stream-max", 1_000_000, "with -stream: at most this many flows")
	s.conn.registerConn(fs)
}

// flows reads the stream's flow records back into flows.
func (s *streamLearning) flows(ctx context.Context, stderr io.Writer) ([]*flow.Flow, error) {
	nc, _, err := s.conn.load()
	if err != nil {
		return nil, err
	}
	conn, err := s.conn.connect(ctx, nc, "train")
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	q := fleet.FlowQuery{Stream: nc.Stream, Subject: s.subject, Max: s.max}
	if s.since > 0 {
		q.Since = time.Now().Add(-s.since)
	}
	flows, st, err := fleet.ReadFlows(ctx, conn.Conn, q)
	fmt.Fprintf(stderr, "train: %d flow records read from stream %s (%s): %d flows to learn from, %d without payload, %d without handshake bytes (turn on output.include_handshake), %d unreadable; %d subjects\n",
		st.Records, nc.Stream, s.subject, len(flows), st.NoPayload, st.NoRaw, st.Bad, len(st.Sensors))
	return flows, err
}
