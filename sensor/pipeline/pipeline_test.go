package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tlsentry/tlsentry/detector"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/capgen"
	"github.com/tlsentry/tlsentry/internal/labset"
	"github.com/tlsentry/tlsentry/internal/testkit"
	"github.com/tlsentry/tlsentry/sensor/allowlist"
	"github.com/tlsentry/tlsentry/sensor/eve"
	"github.com/tlsentry/tlsentry/sensor/metrics"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
	"github.com/tlsentry/tlsentry/sensor/verdict"
)

// Client networks of the test sets (10.NET.0.0/16).
const (
	benignNet = 1
	sshNet    = 66
)

// mixedCapture writes benign TLS and SSH-on-443 flows to one capture and
// returns its path, every flow, and a threshold that separates the two.
func mixedCapture(t *testing.T, m *detector.Model, benign, ssh int) (string, []*flow.Flow, float64) {
	t.Helper()
	path := writeCapture(t, t.TempDir(), "mixed.pcap",
		flowSet{kind: labset.Benign, n: benign, seed: 21, net: benignNet, close: capgen.CloseFIN},
		flowSet{kind: labset.NonTLSSSH, n: ssh, seed: 22, net: sshNet, close: capgen.CloseFIN})
	flows := readFlows(t, path)
	if len(flows) != benign+ssh {
		t.Fatalf("%d flows in the capture, want %d", len(flows), benign+ssh)
	}
	return path, flows, separatingThreshold(t, scoreFlows(t, m, flows), benignNet)
}

func newMetrics(t *testing.T) *metrics.Metrics {
	t.Helper()
	m, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// daemonPipeline is a pipeline as the daemon sets one up: two tables,
// small batches, two workers, TLS parsed, scored, judged, and written to
// the logs by a LogSink.
type daemonPipeline struct {
	cfg  pipeline.Config
	logs pipeline.LogOutputs
	mets *metrics.Metrics
}

func pipelineConfig(m *detector.Model, mets *metrics.Metrics, threshold float64) *daemonPipeline {
	return &daemonPipeline{
		cfg: pipeline.Config{
			Shards: 2, Tuning: pipeline.Tuning{BatchSize: 8, BatchTimeout: 20 * time.Millisecond, QueueSize: 64, Workers: 2},
			ParseTLS: true, NewScorer: m.NewScorer, Model: m.Name(), Metrics: mets,
			Policy: &verdict.Policy{Threshold: threshold},
		},
		logs: pipeline.LogOutputs{IncludePrefix: true},
		mets: mets,
	}
}

// build makes the pipeline and its log sink.
func (d *daemonPipeline) build() (*pipeline.Pipeline, *pipeline.LogSink, error) {
	mets := d.mets
	if mets == nil {
		var err error
		if mets, err = metrics.New(prometheus.NewRegistry()); err != nil {
			return nil, nil, err
		}
	}
	sink := pipeline.NewLogSink(d.logs, d.cfg.Model, mets, nil)
	cfg := d.cfg
	cfg.Sink, cfg.Metrics = sink, mets
	p, err := pipeline.New(cfg)
	return p, sink, err
}

func TestPipelineAlertsExactlyOnAnomalies(t *testing.T) {
	m := trainedModel(t)
	path, flows, threshold := mixedCapture(t, m, 40, 12)
	dir := t.TempDir()
	alerts, alertPath := openLog(t, dir, "alerts.json")
	flowLog, flowPath := openLog(t, dir, "flows.json")
	mets := newMetrics(t)
	d := pipelineConfig(m, mets, threshold)
	d.logs.Alerts, d.logs.Flows = alerts, flowLog
	p, logs, err := d.build()
	if err != nil {
		t.Fatal(err)
	}
	in := &pipeline.FileInput{Paths: []string{path}}
	if err := p.Run(context.Background(), in); err != nil {
		t.Fatal(err)
	}

	got := readEve(t, alertPath)
	if n := len(flowsOf(got)); n != 12 {
		t.Errorf("alerts on %d flows, want each SSH flow (12)", n)
	}
	prefixes := map[netip.Addr][]byte{}
	for _, f := range flows {
		prefixes[f.Client.AddrPort().Addr()] = f.Prefix
	}
	seen := map[string]bool{} // signature alerted on, per flow
	for _, a := range got {
		src := a.Src(t)
		key := fmt.Sprint(src, a.Alert.SignatureID)
		if src.As4()[1] != sshNet || seen[key] {
			t.Errorf("alert for %s (repeated signature: %v): only SSH flows, each signature once", src, seen[key])
		}
		seen[key] = true
		if a.EventType != "alert" || a.Host != "test-sensor" || a.DestPort != 443 || a.AppProto != "ssh" || a.FlowID == 0 {
			t.Errorf("alert header or flow fields: %+v", a)
		}
		if _, err := eve.ParseTime(a.Timestamp); err != nil || !strings.HasSuffix(a.Timestamp, "+0000") {
			t.Errorf("timestamp %q: %v", a.Timestamp, err)
		}
		an := a.Verdict()
		if an == nil || !an.Alert || an.Model != m.Name() || an.Threshold != threshold || an.Score < threshold || len(an.Reasons) == 0 {
			t.Errorf("anomaly object: %+v", an)
		}
		if string(a.Detail.Prefix) != string(prefixes[src]) || a.Detail.PrefixLen != len(a.Detail.Prefix) {
			t.Errorf("alert for %s: prefix of %d bytes, want the flow's %d", src, len(a.Detail.Prefix), len(prefixes[src]))
		}
	}

	lines := readEve(t, flowPath)
	if len(lines) != len(flows) {
		t.Errorf("%d flow log lines, want %d", len(lines), len(flows))
	}
	for _, l := range lines {
		benign := l.Src(t).As4()[1] == benignNet
		if l.EventType != "flow" || l.Verdict() == nil || l.Verdict().Alert == benign {
			t.Errorf("flow line for %s: %+v", l.SrcIP, l.Verdict())
		}
		if benign && (l.TLS == nil || l.TLS.SNI == "" || l.TLS.JA3 == nil) {
			t.Errorf("benign flow line without its tls object: %+v", l)
		}
	}

	st, ls := p.Stats(), logs.Stats()
	if st.Flows != uint64(len(flows)) || st.Scored != st.Flows || ls.FlowLines != st.Flows || st.Alerts != 12 || ls.Alerts != uint64(len(got)) || st.Dropped != 0 || ls.WriteErrors != 0 {
		t.Errorf("stats %+v %+v", st, ls)
	}
	if st.Tables == nil || st.Tables.FlowsOpened != uint64(len(flows)) {
		t.Errorf("table stats %+v", st.Tables)
	}
	if n := testutil.ToFloat64(mets.Alerts); n != float64(len(got)) {
		t.Errorf("alerts metric %v, %d alert records", n, len(got))
	}
	if got := testutil.ToFloat64(mets.FlowsScored); got != float64(len(flows)) {
		t.Errorf("flows scored metric %v", got)
	}
	if got := testutil.ToFloat64(mets.FlowsOpened); got != float64(len(flows)) {
		t.Errorf("flows opened metric %v", got)
	}
	if got := testutil.ToFloat64(mets.Packets.WithLabelValues("0")); got != float64(in.Stats().Packets.Read) || got == 0 {
		t.Errorf("packets metric %v, read %d", got, in.Stats().Packets.Read)
	}
	if n := testutil.CollectAndCount(mets.BatchSize); n != 1 {
		t.Errorf("batch size histogram: %d series", n)
	}
}

// TestPipelineReloadChangesNextVerdicts changes the threshold between two
// halves of the input: the flows before alert at the low threshold, the
// ones after are judged by the new one.
func TestPipelineReloadChangesNextVerdicts(t *testing.T) {
	m := trainedModel(t)
	first, flows, threshold := mixedCapture(t, m, 8, 6)
	second := writeCapture(t, t.TempDir(), "second.pcap",
		flowSet{kind: labset.NonTLSSSH, n: 5, seed: 23, net: sshNet + 1, close: capgen.CloseFIN})
	alerts, alertPath := openLog(t, t.TempDir(), "alerts.json")
	d := pipelineConfig(m, newMetrics(t), threshold)
	d.cfg.Shards, d.logs.Alerts = 1, alerts
	p, _, err := d.build()
	if err != nil {
		t.Fatal(err)
	}
	src := sourceFunc(func(ctx context.Context, shards *pipeline.Shards) error {
		if err := (&pipeline.FileInput{Paths: []string{first}}).Run(ctx, shards); err != nil {
			return err
		}
		shards.Tables().Flush() // the source owns the table: end the first half
		shards.Done(0)          // and send its last batch
		testkit.WaitFor(t, "the first half's verdicts", func() bool { return p.Stats().Scored == uint64(len(flows)) })
		if err := p.SetPolicy(verdict.Policy{Threshold: verdict.MaxThreshold}); err != nil {
			return err
		}
		return (&pipeline.FileInput{Paths: []string{second}}).Run(ctx, shards)
	})
	if err := p.Run(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	got := readEve(t, alertPath)
	if n := len(flowsOf(got)); n != 6 {
		t.Errorf("alerts on %d flows, want the first half's 6 SSH flows", n)
	}
	for _, a := range got {
		if a.Src(t).As4()[1] != sshNet || a.Verdict().Threshold != threshold {
			t.Errorf("alert for %s at threshold %v", a.SrcIP, a.Verdict().Threshold)
		}
	}
	if st := p.Stats(); st.Scored != uint64(len(flows)+5) || st.Alerts != 6 {
		t.Errorf("stats %+v", st)
	}
	if err := p.SetPolicy(verdict.Policy{Threshold: math.NaN()}); err == nil {
		t.Error("a NaN threshold was accepted")
	}
}

func TestPipelineAllowlistSuppressesAndCounts(t *testing.T) {
	m := trainedModel(t)
	path, flows, _ := mixedCapture(t, m, 24, 6)
	// Every flow scores over the threshold (liftedScorer); the allowlist
	// decides.
	allow, err := allowlist.New(allowlist.Config{
		SNISuffixes: []string{"example.com"},
		CIDRs:       []string{clientAddr(sshNet, 0).String(), clientAddr(sshNet, 3).String()},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantSNI := 0
	for _, f := range flows {
		if h := tlsparse.FromFlow(f, nil); h.Client != nil && strings.HasSuffix(h.Client.ServerName, ".example.com") {
			wantSNI++
		}
	}
	if wantSNI == 0 || wantSNI == 24 {
		t.Fatalf("%d of 24 benign flows under example.com: the test needs some of each", wantSNI)
	}
	dir := t.TempDir()
	alerts, alertPath := openLog(t, dir, "alerts.json")
	flowLog, flowPath := openLog(t, dir, "flows.json")
	mets := newMetrics(t)
	d := pipelineConfig(m, mets, 0.25)
	d.cfg.Policy.Allow, d.logs.Alerts, d.logs.Flows = allow, alerts, flowLog
	d.cfg.NewScorer = func() (detector.Scorer, error) {
		s, err := m.NewScorer()
		return liftedScorer{s}, err
	}
	p, _, err := d.build()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Run(context.Background(), &pipeline.FileInput{Paths: []string{path}}); err != nil {
		t.Fatal(err)
	}
	wantAlerts := len(flows) - wantSNI - 2
	if n := len(flowsOf(readEve(t, alertPath))); n != wantAlerts {
		t.Errorf("alerts on %d flows, want %d", n, wantAlerts)
	}
	if st := p.Stats(); st.Suppressed != uint64(wantSNI+2) || st.Alerts != uint64(wantAlerts) {
		t.Errorf("stats %+v, want %d suppressed", st, wantSNI+2)
	}
	if got := testutil.ToFloat64(mets.AlertsSuppressed.WithLabelValues(allowlist.ReasonSNI)); got != float64(wantSNI) {
		t.Errorf("suppressed by sni_suffix: %v, want %d", got, wantSNI)
	}
	if got := testutil.ToFloat64(mets.AlertsSuppressed.WithLabelValues(allowlist.ReasonCIDR)); got != 2 {
		t.Errorf("suppressed by cidr: %v, want 2", got)
	}
	suppressed := 0
	for _, l := range readEve(t, flowPath) {
		if l.Verdict().Suppressed != "" {
			suppressed++
			if l.Verdict().Alert {
				t.Errorf("suppressed flow marked as alert: %+v", l.Verdict())
			}
		}
	}
	if suppressed != wantSNI+2 {
		t.Errorf("%d flow lines say suppressed, want %d", suppressed, wantSNI+2)
	}
}

// liftedScorer is a real scorer whose scores are all lifted over 0.5
// (the hybrid model scores a plain benign flow 0): every flow reaches the
// policy as an alert, for the allowlist tests.
type liftedScorer struct{ detector.Scorer }

func (l liftedScorer) Score(in []detector.Input, out []float64) {
	l.Scorer.Score(in, out)
	for i := range out {
		out[i] = 0.5 + out[i]/2
	}
}

// gatedScorer is a real scorer that cannot score until its gate opens:
// the detector falling behind, for the backpressure test.
type gatedScorer struct {
	detector.Scorer
	gate <-chan struct{}
}

func (g gatedScorer) Score(in []detector.Input, out []float64) {
	<-g.gate
	g.Scorer.Score(in, out)
}

// TestPipelineDropsWhenScoringFallsBehind: with the scorer stuck, the
// source still reads its whole input (the scorer is released only after
// it returns), and what does not fit in the queue is dropped and counted.
func TestPipelineDropsWhenScoringFallsBehind(t *testing.T) {
	m := trainedModel(t)
	path := writeCapture(t, t.TempDir(), "many.pcap",
		flowSet{kind: labset.NonTLSSSH, n: 60, seed: 24, net: sshNet, close: capgen.CloseFIN})
	alerts, _ := openLog(t, t.TempDir(), "alerts.json")
	mets := newMetrics(t)
	gate := make(chan struct{})
	d := pipelineConfig(m, mets, verdict.MaxThreshold)
	d.cfg.Shards, d.cfg.QueueSize, d.cfg.BatchSize, d.cfg.Workers = 1, 2, 1, 1
	d.cfg.DropWhenBehind, d.logs.Alerts = true, alerts
	d.cfg.NewScorer = func() (detector.Scorer, error) {
		s, err := m.NewScorer()
		return gatedScorer{Scorer: s, gate: gate}, err
	}
	p, _, err := d.build()
	if err != nil {
		t.Fatal(err)
	}
	src := sourceFunc(func(ctx context.Context, shards *pipeline.Shards) error {
		defer close(gate)
		return (&pipeline.FileInput{Paths: []string{path}}).Run(ctx, shards)
	})
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background(), src) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the source is blocked behind the stuck scorer")
	}
	st := p.Stats()
	if st.Flows != 60 || st.Dropped == 0 || st.Dropped+st.Scored != st.Flows {
		t.Errorf("stats %+v: want 60 flows, some dropped, the rest scored", st)
	}
	var got float64
	for _, why := range []string{"lower_priority", "source_share"} {
		got += testutil.ToFloat64(mets.QueueDrops.WithLabelValues("scoring", why))
	}
	if got != float64(st.Dropped) {
		t.Errorf("queue drops metric %v (by reason), dropped %d", got, st.Dropped)
	}
}

// TestPipelineShutdownLosesNoFlow stops a source that idles after its
// input, like a live capture on a quiet link, while flows are still open
// in the tables: every flow handed out, open ones included, is scored and
// written.
func TestPipelineShutdownLosesNoFlow(t *testing.T) {
	m := trainedModel(t)
	path := writeCapture(t, t.TempDir(), "open.pcap",
		flowSet{kind: labset.Benign, n: 10, seed: 25, net: benignNet, close: capgen.CloseFIN},
		flowSet{kind: labset.NonTLSSSH, n: 7, seed: 26, net: sshNet, close: capgen.CloseNone})
	flowLog, flowPath := openLog(t, t.TempDir(), "flows.json")
	alerts, _ := openLog(t, t.TempDir(), "alerts.json")
	d := pipelineConfig(m, newMetrics(t), 0.5)
	d.cfg.Shards, d.cfg.DropWhenBehind, d.cfg.QueueSize, d.logs.Alerts, d.logs.Flows = 1, true, 4096, alerts, flowLog
	// No TLS port: SSH held open on 443 would be handed out (decided) as
	// soon as the server answered, not stay open in the table.
	d.cfg.Table.TLSPorts = []int{}
	p, _, err := d.build()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	idle := make(chan struct{})
	src := sourceFunc(func(ctx context.Context, shards *pipeline.Shards) error {
		if err := (&pipeline.FileInput{Paths: []string{path}}).Run(ctx, shards); err != nil {
			return err
		}
		close(idle)
		<-ctx.Done()
		return ctx.Err()
	})
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, src) }()
	<-idle
	if open := 7; p.Stats().Flows > uint64(17-open) {
		t.Fatalf("%d flows handed out before shutdown: the open ones should still be in the table", p.Stats().Flows)
	}
	cancel() // SIGTERM
	if err := <-done; err != nil {
		t.Fatalf("Run after shutdown: %v", err)
	}
	st := p.Stats()
	lines := readEve(t, flowPath)
	if st.Flows != 17 || st.Scored != 17 || st.Dropped != 0 || len(lines) != 17 {
		t.Errorf("stats %+v, %d flow lines: want all 17 flows in and out", st, len(lines))
	}
	if st.Tables.Emitted[flow.EndFlush] != 7 {
		t.Errorf("%d flows flushed at shutdown, want the 7 open ones", st.Tables.Emitted[flow.EndFlush])
	}
}

func TestPipelineConfigAndRunOnce(t *testing.T) {
	m := trainedModel(t)
	alerts, _ := openLog(t, t.TempDir(), "alerts.json")
	good := pipelineConfig(m, nil, 0.5)
	good.logs.Alerts = alerts
	for name, change := range map[string]func(*pipeline.Config){
		"no tables":         func(c *pipeline.Config) { c.Shards = 0 },
		"no batch":          func(c *pipeline.Config) { c.BatchSize = 0 },
		"no timeout":        func(c *pipeline.Config) { c.BatchTimeout = 0 },
		"no queue":          func(c *pipeline.Config) { c.QueueSize = 0 },
		"no workers":        func(c *pipeline.Config) { c.Workers = 0 },
		"too many workers":  func(c *pipeline.Config) { c.Workers = pipeline.MaxWorkers + 1 },
		"policy, no scorer": func(c *pipeline.Config) { c.NewScorer = nil },
		"zero threshold":    func(c *pipeline.Config) { c.Policy = &verdict.Policy{} },
		"NaN threshold":     func(c *pipeline.Config) { c.Policy = &verdict.Policy{Threshold: math.NaN()} },
		"bad flow config":   func(c *pipeline.Config) { c.Table.IdleTimeout = -1 },
	} {
		d := *good
		change(&d.cfg)
		if _, _, err := d.build(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := pipeline.New(pipeline.Config{Shards: 1, Tuning: pipeline.DefaultTuning()}); err == nil {
		t.Error("no sink: accepted")
	}
	p, _, err := good.build()
	if err != nil {
		t.Fatal(err)
	}
	empty := &pipeline.FileInput{}
	if err := p.Run(context.Background(), empty); err != nil {
		t.Fatal(err)
	}
	if err := p.Run(context.Background(), empty); err == nil {
		t.Error("a second Run was accepted")
	}
	failing := *good
	failing.cfg.NewScorer = func() (detector.Scorer, error) { return nil, errors.New("no weights") }
	if p, _, err = failing.build(); err != nil {
		t.Fatal(err)
	}
	if err := p.Run(context.Background(), empty); err == nil || !strings.Contains(err.Error(), "no weights") {
		t.Errorf("Run with a failing scorer: %v", err)
	}
}

// TestLogSinkSetOutputs: the flow log turned on while the pipeline runs
// gets every flow judged from then on.
func TestLogSinkSetOutputs(t *testing.T) {
	m := trainedModel(t)
	path := writeCapture(t, t.TempDir(), "few.pcap", flowSet{kind: labset.Benign, n: 4, seed: 27, net: benignNet, close: capgen.CloseFIN})
	alerts, _ := openLog(t, t.TempDir(), "alerts.json")
	d := pipelineConfig(m, nil, 0.5)
	d.cfg.Shards, d.logs.Alerts = 1, alerts
	p, logs, err := d.build()
	if err != nil {
		t.Fatal(err)
	}
	flowLog, flowPath := openLog(t, t.TempDir(), "flows.json")
	if old := logs.SetOutputs(pipeline.LogOutputs{Alerts: alerts, Flows: flowLog}); old.Flows != nil || old.Alerts != alerts {
		t.Errorf("SetOutputs returned %+v", old)
	}
	if err := p.Run(context.Background(), &pipeline.FileInput{Paths: []string{path}}); err != nil {
		t.Fatal(err)
	}
	lines := readEve(t, flowPath)
	if len(lines) != 4 {
		t.Errorf("%d flow lines after turning the flow log on, want 4", len(lines))
	}
	for _, l := range lines {
		if l.Detail.Prefix != nil {
			t.Error("a prefix in a flow line with IncludePrefix off")
		}
	}
	if old := logs.SetOutputs(pipeline.LogOutputs{Alerts: alerts}); old.Flows != flowLog {
		t.Error("SetOutputs did not return the flow log it replaced")
	}
}

// TestPipelineWatchesOnlyItsPorts: with ports set, flows on other ports
// never reach the tables, with one table or several.
func TestPipelineWatchesOnlyItsPorts(t *testing.T) {
	m := trainedModel(t)
	path := writeCapture(t, t.TempDir(), "ports.pcap",
		flowSet{kind: labset.Benign, n: 6, seed: 28, net: benignNet, close: capgen.CloseFIN},
		flowSet{kind: labset.NonTLSSSH, n: 5, seed: 29, net: sshNet, close: capgen.CloseFIN, port: 22})
	for _, workers := range []int{1, 3} {
		alerts, _ := openLog(t, t.TempDir(), "alerts.json")
		mets := newMetrics(t)
		d := pipelineConfig(m, mets, 0.5)
		d.cfg.Shards, d.cfg.Ports, d.logs.Alerts = workers, []uint16{443, 8443}, alerts
		p, _, err := d.build()
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Run(context.Background(), &pipeline.FileInput{Paths: []string{path}}); err != nil {
			t.Fatal(err)
		}
		if st := p.Stats(); st.Scored != 6 || st.Tables.FlowsOpened != 6 {
			t.Errorf("%d workers: %d flows opened, %d scored; want the 6 on port 443", workers, st.Tables.FlowsOpened, st.Scored)
		}
		if testutil.ToFloat64(mets.Bytes.WithLabelValues("0")) == 0 {
			t.Errorf("%d workers: no bytes counted", workers)
		}
	}
}

// flowsOf is the flows alert lines are about: a flow has one alert record
// per finding.
func flowsOf(alerts []testkit.EveLine) map[uint64]int {
	out := map[uint64]int{}
	for _, a := range alerts {
		out[a.FlowID]++
	}
	return out
}
