package natsout

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tlsentry/tlsentry/internal/natstest"
)

// benchLine is an alert line of the usual size (about 1.5 KB with its
// prefix).
var benchLine = []byte(`{"timestamp":"2026-11-01T12:00:00.000000+0000","event_type":"alert","sensor":"bench","flow_id":1,"src_ip":"10.0.0.10","src_port":50000,"dest_ip":"192.0.2.10","dest_port":443,"proto":"TCP","prefix_len":1024,"prefix":"` +
	strings.Repeat("FgMB", 342) + `","app_proto":"tls","anomaly":{"model":"hybrid/2fe628fd905c","score":5.1,"threshold":4.188,"alert":true}}` + "\n")

// BenchmarkPublish is the output's cost per record, sent and
// acknowledged by an in-process server (whose work is in the figure too),
// beside BenchmarkPublishBare, the bare client doing the same.
func BenchmarkPublish(b *testing.B) {
	srv := natstest.Start(b)
	cfg := testConfig(srv.URL(), b.TempDir())
	cfg.QueueSize = 1 << 16
	nc, err := Connect(cfg, "bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	o, err := New(cfg, Options{Sensor: "bench", Conn: nc.Conn})
	if err != nil {
		b.Fatal(err)
	}
	o.Start(context.Background())
	w, _ := o.Writer(TypeAlert)
	b.SetBytes(int64(len(benchLine)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w.WriteLine(benchLine)
	}
	for o.Stats().Acked < uint64(b.N) {
		time.Sleep(100 * time.Microsecond)
	}
	b.StopTimer()
	o.Close()
	if st := o.Stats(); st.Dropped > 0 {
		b.Fatalf("%+v", st)
	}
}

func BenchmarkPublishBare(b *testing.B) {
	srv := natstest.Start(b)
	cfg := testConfig(srv.URL(), b.TempDir())
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(cfg.MaxInFlight))
	if err != nil {
		b.Fatal(err)
	}
	if err := EnsureStream(context.Background(), js, cfg); err != nil {
		b.Fatal(err)
	}
	data := benchLine[:len(benchLine)-1]
	b.SetBytes(int64(len(benchLine)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		msg := &nats.Msg{Subject: "tlsentry.bench.alert", Data: data, Header: nats.Header{jetstream.MsgIDHeader: []string{fmt.Sprint("bench-", i)}}}
		if _, err := js.PublishMsgAsync(msg); err != nil {
			b.Fatal(err)
		}
	}
	<-js.PublishAsyncComplete()
}
