package pipeline_test

import (
	"cmp"
	"context"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/detector"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/labset"
	"github.com/tlsentry/tlsentry/internal/testkit"
	"github.com/tlsentry/tlsentry/internal/testmodel"
	"github.com/tlsentry/tlsentry/sensor/evelog"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
	"github.com/tlsentry/tlsentry/sensor/verdict"
)

// trained is the test hybrid model (internal/testmodel), loaded once for
// the pipeline tests.
var trained struct {
	once sync.Once
	m    *detector.Model
	err  error
}

func trainedModel(t *testing.T) *detector.Model {
	t.Helper()
	trained.once.Do(func() {
		data, err := testmodel.Hybrid()
		if err != nil {
			trained.err = err
			return
		}
		trained.m, trained.err = detector.Load(data)
	})
	if trained.err != nil {
		t.Fatalf("training the test model: %v", trained.err)
	}
	return trained.m
}

// flowSet is n labset conversations of one kind, each from its own
// client address in 10.<net>.0.0/16 to 192.0.2.1:443.
type flowSet struct {
	kind  string
	n     int
	seed  uint64
	net   byte
	close capgen.CloseKind
	port  uint16 // server port; 0: 443
}

func clientAddr(net byte, i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, net, byte(i >> 8), byte(i)})
}

// writeCapture writes the sets, interleaved in time, to dir/name.
func writeCapture(t *testing.T, dir, name string, sets ...flowSet) string {
	t.Helper()
	start := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	var flows [][]capgen.Packet
	for si, set := range sets {
		convs, err := labset.Conversations(context.Background(), set.kind, set.n, set.seed)
		if err != nil {
			t.Fatal(err)
		}
		port := cmp.Or(set.port, 443)
		for i, conv := range convs {
			spec := capgen.FlowSpec{
				Client:    netip.AddrPortFrom(clientAddr(set.net, i), uint16(40000+i)),
				Server:    netip.AddrPortFrom(netip.MustParseAddr("192.0.2.1"), port),
				Start:     start.Add(time.Duration(i)*150*time.Millisecond + time.Duration(si)*7*time.Millisecond),
				ClientISN: uint32(1000 * (i + 1)), ServerISN: uint32(7000 * (i + 1)),
				MSS: 1200, Handshake: true, Close: set.close, ACKs: true, Seed: uint64(i),
			}
			pkts, err := spec.Packets(conv)
			if err != nil {
				t.Fatal(err)
			}
			flows = append(flows, pkts)
		}
	}
	path := filepath.Join(dir, name)
	if err := capgen.WriteFile(path, capgen.Merge(flows...)); err != nil {
		t.Fatal(err)
	}
	return path
}

// readFlows reads a capture's flows with payload with one table, as the
// pipeline's tables hand them out.
func readFlows(t *testing.T, path string) []*flow.Flow {
	t.Helper()
	out, err := pipeline.ReadFlows(context.Background(), []string{path}, flow.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// scoreFlows scores flows one by one, outside any pipeline.
func scoreFlows(t *testing.T, m *detector.Model, flows []*flow.Flow) map[netip.Addr]float64 {
	t.Helper()
	s, err := m.NewScorer()
	if err != nil {
		t.Fatal(err)
	}
	out := map[netip.Addr]float64{}
	for _, f := range flows {
		score := []float64{0}
		s.Score([]detector.Input{{Flow: f, TLS: tlsparse.FromFlow(f, nil)}}, score)
		out[f.Client.AddrPort().Addr()] = score[0]
	}
	return out
}

// separatingThreshold returns a threshold between the highest score of
// the flows from benignNet and the lowest of the others; it fails the
// test when the model does not separate them.
func separatingThreshold(t *testing.T, scores map[netip.Addr]float64, benignNet byte) float64 {
	t.Helper()
	maxBenign, minOther := 0.0, 1e300
	for a, s := range scores {
		if a.As4()[1] == benignNet {
			maxBenign = max(maxBenign, s)
		} else {
			minOther = min(minOther, s)
		}
	}
	if maxBenign >= minOther {
		t.Fatalf("the test model does not separate the sets: benign up to %v, others from %v", maxBenign, minOther)
	}
	return (maxBenign + minOther) / 2
}

// openLog opens an evelog.Log at dir/name, closed at the test's end.
func openLog(t *testing.T, dir, name string) (*evelog.Log, string) {
	t.Helper()
	path := filepath.Join(dir, name)
	l, err := evelog.New(evelog.Config{Path: path, Sensor: "test-sensor"})
	if err != nil {
		t.Fatal(err)
	}
	openLogs.Store(path, l)
	t.Cleanup(func() {
		openLogs.Delete(path)
		l.Close()
	})
	return l, path
}

// openLogs are the logs openLog opened, by path.
var openLogs sync.Map

// syncLog writes what the log at path (if openLog opened it) holds in its
// buffer: evelog writes lines up to a tenth of a second late.
func syncLog(t *testing.T, path string) {
	t.Helper()
	if l, ok := openLogs.Load(path); ok {
		if err := l.(*evelog.Log).Sync(); err != nil {
			t.Fatal(err)
		}
	}
}

// readEve reads the records of the log at path (testkit.ReadEve), its
// buffer written first.
func readEve(t *testing.T, path string) []testkit.EveLine {
	t.Helper()
	syncLog(t, path)
	return testkit.ReadEve(t, path)
}

// sourceFunc makes a function a Source.
type sourceFunc func(ctx context.Context, shards *pipeline.Shards) error

func (f sourceFunc) Run(ctx context.Context, shards *pipeline.Shards) error { return f(ctx, shards) }

// stuckRun runs a live pipeline (drop when behind, one shard, a queue of
// 2) over 40 benign TLS flows and 5 SSH flows (seeds seed and seed+1) with
// a scorer stuck until the input has been read, so that most flows are
// shed; logs sets the logs the run writes besides its alert log. It
// returns the pipeline and its sink after the run.
func stuckRun(t *testing.T, seed uint64, logs func(d *daemonPipeline)) (*pipeline.Pipeline, *pipeline.LogSink) {
	t.Helper()
	m := trainedModel(t)
	path := writeCapture(t, t.TempDir(), "mixed.pcap",
		flowSet{kind: labset.Benign, n: 40, seed: seed, net: benignNet, close: capgen.CloseFIN},
		flowSet{kind: labset.NonTLSSSH, n: 5, seed: seed + 1, net: sshNet, close: capgen.CloseFIN})
	alerts, _ := openLog(t, t.TempDir(), "alerts.json")
	gate := make(chan struct{})
	d := pipelineConfig(m, newMetrics(t), verdict.MaxThreshold)
	d.cfg.Shards, d.cfg.QueueSize, d.cfg.BatchSize, d.cfg.Workers = 1, 2, 1, 1
	d.cfg.DropWhenBehind, d.logs.Alerts = true, alerts
	logs(d)
	d.cfg.NewScorer = func() (detector.Scorer, error) {
		s, err := m.NewScorer()
		return gatedScorer{Scorer: s, gate: gate}, err
	}
	p, sink, err := d.build()
	if err != nil {
		t.Fatal(err)
	}
	src := sourceFunc(func(ctx context.Context, shards *pipeline.Shards) error {
		defer close(gate)
		return (&pipeline.FileInput{Paths: []string{path}}).Run(ctx, shards)
	})
	if err := p.Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	return p, sink
}
