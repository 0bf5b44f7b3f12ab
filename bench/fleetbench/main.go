// Command fleetbench measures the NATS output beside its peer, the bare
// JetStream client, in one run (bench/fleet.sh drives it):
//
//	fleetbench serve -port 4222 -store DIR
//	    a JetStream server (the nats-server module) until stdin closes
//	fleetbench e2e -server URL -rate 20000 -seconds 10
//	    alert lines written at a fixed rate (0: as fast as taken) through
//	    natsout.Output, then through the bare client (async publish, the
//	    same in-flight bound and message ids, no queue, no spool); a
//	    consumer in the same process measures records/s delivered and the
//	    latency from the time each line was due to its delivery (p50, p99)
//	fleetbench consume -server URL -subject S -idle 5s
//	    counts what reaches a consumer (tlsentry run -r publishing) and
//	    its rate between the first and the last message
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tlsentry/tlsentry/sensor/natsout"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: fleetbench serve|e2e|consume [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "e2e":
		err = e2e(os.Args[2:])
	case "consume":
		err = consume(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fleetbench:", err)
		os.Exit(1)
	}
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	port := fs.Int("port", 4222, "client port")
	store := fs.String("store", "", "JetStream store directory")
	fs.Parse(args)
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: *port, JetStream: true, StoreDir: *store, NoSigs: true, NoLog: true})
	if err != nil {
		return err
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		return errors.New("server not ready")
	}
	fmt.Println("ready", s.ClientURL())
	bufio.NewReader(os.Stdin).ReadString('\n') // until stdin closes
	s.Shutdown()
	s.WaitForShutdown()
	return nil
}

// alertLine is an alert as the sensor writes it (about 1.3 KB with its
// prefix), with the write time in nanoseconds in place of the flow id.
func alertLine(ns int64, b []byte) []byte {
	b = append(b[:0], `{"timestamp":"2026-11-01T12:00:00.000000+0000","event_type":"alert","sensor":"bench","flow_id":`...)
	b = strconv.AppendInt(b, ns, 10)
	b = append(b, `,"src_ip":"10.0.0.10","src_port":50000,"dest_ip":"192.0.2.10","dest_port":443,"proto":"TCP","pkts_toserver":4,"pkts_toclient":3,"bytes_toserver":1753,"bytes_toclient":2006,"start":"2026-11-01T12:00:00.000000+0000","end":"2026-11-01T12:00:00.100000+0000","end_reason":"complete","prefix_len":1024,"prefix":"`...)
	for range 1368 / 4 {
		b = append(b, "FgMB"...)
	}
	b = append(b, `","app_proto":"tls","tls":{"version":"TLS 1.2","sni":"example.com","ja4":"t13d1516h2_8daaf6152771_b186095e22b6"},"anomaly":{"model":"hybrid/2fe628fd905c","score":5.1,"threshold":4.188,"alert":true,"reasons":["new client stack"]}}`...)
	return append(b, '\n')
}

// sentAt reads the write time back from a delivered line.
func sentAt(data []byte) int64 {
	const key = `"flow_id":`
	i := bytesIndex(data, key)
	if i < 0 {
		return 0
	}
	n, j := int64(0), i+len(key)
	for ; j < len(data) && data[j] >= '0' && data[j] <= '9'; j++ {
		n = n*10 + int64(data[j]-'0')
	}
	return n
}

func bytesIndex(b []byte, s string) int {
	for i := 0; i+len(s) <= len(b); i++ {
		if string(b[i:i+len(s)]) == s {
			return i
		}
	}
	return -1
}

// collector is the consumer: it counts deliveries and their latencies.
type collector struct {
	mu          sync.Mutex
	lat         []time.Duration
	ids         map[string]bool
	dup         int
	first, last time.Time
}

func (c *collector) take(m jetstream.Msg) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if id := m.Headers().Get(jetstream.MsgIDHeader); id != "" {
		if c.ids[id] {
			c.dup++
		}
		c.ids[id] = true
	}
	if c.first.IsZero() {
		c.first = now
	}
	c.last = now
	if ns := sentAt(m.Data()); ns > 0 {
		c.lat = append(c.lat, now.Sub(time.Unix(0, ns)))
	}
}

func (c *collector) report(name string, wanted int, wrote time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	slices.Sort(c.lat)
	q := func(p float64) time.Duration {
		if len(c.lat) == 0 {
			return 0
		}
		return c.lat[min(len(c.lat)-1, int(p*float64(len(c.lat))))]
	}
	span := c.last.Sub(c.first).Seconds()
	fmt.Printf("%s delivered=%d of %d duplicates=%d delivered_per_s=%.0f written_per_s=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
		name, len(c.ids), wanted, c.dup, float64(len(c.ids))/max(span, 1e-9), float64(wanted)/wrote.Seconds(),
		ms(q(0.5)), ms(q(0.99)), ms(q(1)))
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func e2e(args []string) error {
	fs := flag.NewFlagSet("e2e", flag.ExitOnError)
	url := fs.String("server", "nats://127.0.0.1:4222", "server")
	rate := fs.Int("rate", 20000, "alerts written per second (0: as fast as each path takes them)")
	seconds := fs.Float64("seconds", 10, "how long to write")
	inflight := fs.Int("in-flight", natsout.DefaultConfig().MaxInFlight, "unacknowledged messages, at most (both paths)")
	paths := fs.String("paths", "natsout,bare", "paths measured, in order")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile")
	fs.Parse(args)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	n := int(float64(*rate) * *seconds)
	if *rate == 0 {
		n = int(50000 * *seconds)
	}
	for _, path := range strings.Split(*paths, ",") {
		if err := runPath(path, *url, *rate, n, *inflight); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

// runPath writes n alert lines through one path into a fresh stream and
// reports what the consumer saw.
func runPath(path, url string, rate, n, inflight int) error {
	ctx := context.Background()
	cfg := natsout.DefaultConfig()
	cfg.Servers = []string{url}
	cfg.SubjectPrefix = "bench." + path
	cfg.Stream = "BENCH_" + path
	cfg.StreamSubjects = []string{cfg.SubjectPrefix + ".>"}
	cfg.MaxInFlight = inflight
	cfg.QueueSize = 65536
	cfg.CloseTimeout = time.Minute
	dir, err := os.MkdirTemp("", "fleetbench-spool-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg.SpoolDir = dir

	nc, err := nats.Connect(url)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(inflight))
	if err != nil {
		return err
	}
	js.DeleteStream(ctx, cfg.Stream)
	st, err := js.CreateStream(ctx, natsout.StreamConfig(cfg))
	if err != nil {
		return err
	}
	col := &collector{ids: map[string]bool{}}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return err
	}
	cc, err := cons.Consume(col.take)
	if err != nil {
		return err
	}
	defer cc.Stop()

	var write func(line []byte)
	var finish func() error
	switch path {
	case "natsout":
		conn, err := natsout.Connect(cfg, "bench", nil)
		if err != nil {
			return err
		}
		defer conn.Close()
		m, _ := natsout.NewMetrics(prometheus.NewRegistry())
		out, err := natsout.New(cfg, natsout.Options{Sensor: "bench", Conn: conn.Conn, Metrics: m})
		if err != nil {
			return err
		}
		out.Start(ctx)
		w, _ := out.Writer(natsout.TypeAlert)
		write = w.WriteLine
		finish = func() error {
			err := out.Close()
			st := out.Stats()
			fmt.Printf("natsout stats: published=%d acked=%d spooled=%d replayed=%d dropped=%d\n", st.Published, st.Acked, st.Spooled, st.Replayed, st.Dropped)
			return err
		}
	case "bare":
		var seq atomic.Uint64
		subject := cfg.SubjectPrefix + ".alert"
		var failed atomic.Uint64
		write = func(line []byte) {
			id := "bench-bare-" + strconv.FormatUint(seq.Add(1), 10)
			msg := &nats.Msg{Subject: subject, Data: append([]byte(nil), line[:len(line)-1]...), Header: nats.Header{jetstream.MsgIDHeader: []string{id}}}
			if _, err := js.PublishMsgAsync(msg); err != nil {
				failed.Add(1)
			}
		}
		finish = func() error {
			select {
			case <-js.PublishAsyncComplete():
			case <-time.After(time.Minute):
			}
			if f := failed.Load(); f > 0 {
				fmt.Printf("bare: %d publishes failed\n", f)
			}
			return nil
		}
	}

	var buf []byte
	start := time.Now()
	if rate == 0 {
		for range n {
			buf = alertLine(time.Now().UnixNano(), buf)
			write(buf)
		}
	} else {
		// Each line carries the time it was due, so that a path that
		// makes the writer wait is charged for the wait.
		tick := time.NewTicker(time.Millisecond)
		written := 0
		for written < n {
			now := <-tick.C
			due := min(n, int(now.Sub(start).Seconds()*float64(rate)))
			for ; written < due; written++ {
				at := start.Add(time.Duration(float64(written) / float64(rate) * float64(time.Second)))
				buf = alertLine(at.UnixNano(), buf)
				write(buf)
			}
		}
		tick.Stop()
	}
	wrote := time.Since(start)
	if err := finish(); err != nil {
		return err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		col.mu.Lock()
		got := len(col.ids)
		col.mu.Unlock()
		if got >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	col.report(path, n, wrote)
	return nil
}

func consume(args []string) error {
	fs := flag.NewFlagSet("consume", flag.ExitOnError)
	url := fs.String("server", "nats://127.0.0.1:4222", "server")
	stream := fs.String("stream", "TLSENTRY", "stream")
	subject := fs.String("subject", "tlsentry.*.alert", "subjects counted")
	idle := fs.Duration("idle", 5*time.Second, "stop after this long without a message, once one came")
	fs.Parse(args)
	ctx := context.Background()
	nc, err := nats.Connect(*url)
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	var st jetstream.Stream
	for range 600 { // the sensor creates the stream when it starts
		if st, err = js.Stream(ctx, *stream); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	col := &collector{ids: map[string]bool{}}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{*subject}, DeliverPolicy: jetstream.DeliverNewPolicy})
	if err != nil {
		return err
	}
	cc, err := cons.Consume(col.take)
	if err != nil {
		return err
	}
	defer cc.Stop()
	fmt.Println("consuming")
	for {
		time.Sleep(200 * time.Millisecond)
		col.mu.Lock()
		last, n := col.last, len(col.ids)
		col.mu.Unlock()
		if n > 0 && time.Since(last) > *idle {
			break
		}
	}
	col.mu.Lock()
	span := col.last.Sub(col.first).Seconds()
	fmt.Printf("consumed=%d duplicates=%d seconds=%.2f per_s=%.0f\n", len(col.ids), col.dup, span, float64(len(col.ids))/max(span, 1e-9))
	col.mu.Unlock()
	return nil
}
