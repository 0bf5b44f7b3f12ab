package natstest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Msg is a message as a test consumer sees it.
type Msg struct {
	Subject string
	ID      string // Nats-Msg-Id
	Data    []byte
	Seq     uint64 // stream sequence
}

// ReadStream reads every message the stream holds on subjects matching
// filter (empty: all), in stream order, as a consumer would: an ordered
// consumer from the first message to the last one there now.
func ReadStream(tb testing.TB, url, stream, filter string) []Msg {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	nc, err := nats.Connect(url)
	if err != nil {
		tb.Fatalf("natstest: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatalf("natstest: %v", err)
	}
	st, err := js.Stream(ctx, stream)
	if err != nil {
		tb.Fatalf("natstest: stream %s: %v", stream, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		tb.Fatalf("natstest: %v", err)
	}
	last := info.State.LastSeq
	if info.State.Msgs == 0 {
		return nil
	}
	cc := jetstream.OrderedConsumerConfig{}
	if filter != "" {
		cc.FilterSubjects = []string{filter}
	}
	cons, err := st.OrderedConsumer(ctx, cc)
	if err != nil {
		tb.Fatalf("natstest: %v", err)
	}
	var out []Msg
	for {
		batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			tb.Fatalf("natstest: fetch: %v", err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			md, err := m.Metadata()
			if err != nil {
				tb.Fatalf("natstest: %v", err)
			}
			out = append(out, Msg{Subject: m.Subject(), ID: m.Headers().Get(jetstream.MsgIDHeader), Data: m.Data(), Seq: md.Sequence.Stream})
			if md.Sequence.Stream >= last {
				return out
			}
		}
		if err := batch.Error(); err != nil && n == 0 {
			tb.Fatalf("natstest: fetch: %v", err)
		}
		if n == 0 { // nothing more matches the filter
			return out
		}
	}
}
