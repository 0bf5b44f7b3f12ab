package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/tlsentry/tlsentry/bpf"
	"github.com/tlsentry/tlsentry/detector"
	"github.com/tlsentry/tlsentry/detector/beacon"
	"github.com/tlsentry/tlsentry/internal/termsafe"
	"github.com/tlsentry/tlsentry/sensor/allowlist"
	"github.com/tlsentry/tlsentry/sensor/blocklist"
	"github.com/tlsentry/tlsentry/sensor/config"
	"github.com/tlsentry/tlsentry/sensor/evelog"
	"github.com/tlsentry/tlsentry/sensor/metrics"
	"github.com/tlsentry/tlsentry/sensor/natsout"
	"github.com/tlsentry/tlsentry/sensor/pcapdump"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
	"github.com/tlsentry/tlsentry/sensor/ratelimit"
	"github.com/tlsentry/tlsentry/sensor/verdict"
)

type daemonOptions struct {
	configPath     string
	files          []string // capture files; none: live capture
	foreground     bool
	stdout, stderr io.Writer
}

// daemon holds what runs and what a reload changes. Reloads and reopens
// happen on the signal goroutine only, so the fields they change
// (flowLog, tlsLog, thresholdFrom) need no lock.
type daemon struct {
	daemonOptions
	holder        *config.Holder
	model         *detector.Model
	fleetModel    bool // model is the fleet's, not detector.model's
	thresholdFrom string
	log           *daemonLog
	alerts        *evelog.Log
	flowLog       *evelog.Log      // nil when output.flow_log is empty
	tlsLog        *evelog.Log      // nil when output.tls_log is empty
	pcaps         *pcapdump.Writer // nil when output.alert_pcap_dir is empty
	logs          *pipeline.LogSink
	limiter       *ratelimit.Limiter
	beacons       *beacon.Tracker // nil when beacon.enabled is false
	pipeline      *pipeline.Pipeline
	source        pipeline.Source
	live          *pipeline.LiveInput // nil with capture files
	filter        *bpf.Filter         // nil without capture.bpf

	stopOnce sync.Once

	registry        *prometheus.Registry
	metrics         *metrics.Metrics
	metricsListener net.Listener

	nats natsParts // the NATS output and fleet watch (fleet.go)
}

// startDaemon loads and checks everything the daemon needs, opens its
// outputs and its packet source, and builds the pipeline; nothing runs
// yet. Whatever it opened is closed again when it fails.
func startDaemon(opts daemonOptions) (_ *daemon, err error) {
	d := &daemon{daemonOptions: opts}
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	pf, err := runPreflight(opts.configPath, !d.offline())
	if err != nil {
		// A restart would fail the same way: exit status 78.
		return nil, &configError{err}
	}
	cfg, policy := pf.cfg, pf.pol
	d.model, d.thresholdFrom = pf.model, pf.from
	if d.log, err = newDaemonLog(cfg.Output.LogLevel, cfg.Output.Log, opts.stderr); err != nil {
		return nil, err
	}

	d.registry = prometheus.NewRegistry()
	if d.metrics, err = metrics.New(d.registry); err != nil {
		return nil, err
	}
	// The daemon's own log follows its file by name as the alert logs do.
	d.log.setFollowed(d.logFollowed("daemon"))
	if err := metrics.RegisterRuntime(d.registry); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	d.metrics.LastReloadTime.Set(float64(time.Now().UnixNano()) / 1e9)
	if cfg.Metrics.Listen != "" {
		// Listen now, so that a port in use fails the start, not later.
		if d.metricsListener, err = net.Listen("tcp", cfg.Metrics.Listen); err != nil {
			return nil, cfg.Errorf("metrics.listen", "%v", err)
		}
	}

	if err := d.openNATS(cfg); err != nil {
		return nil, err
	}
	if d.alerts, err = evelog.New(d.alertLogConfig(cfg)); err != nil {
		return nil, cfg.Errorf("output.alert_log", "%v", err)
	}
	if d.wantFlowLog(cfg) {
		if d.flowLog, err = evelog.New(d.flowLogConfig(cfg)); err != nil {
			return nil, cfg.Errorf("output.flow_log", "%v", err)
		}
	}
	if cfg.Output.TLSLog != "" {
		if d.tlsLog, err = evelog.New(d.tlsLogConfig(cfg)); err != nil {
			return nil, cfg.Errorf("output.tls_log", "%v", err)
		}
	}
	if cfg.Output.AlertPcapDir != "" {
		if d.pcaps, err = pcapdump.Open(cfg.Output.Pcaps()); err != nil {
			return nil, cfg.Errorf("output.alert_pcap_dir", "%v", err)
		}
	}
	// The capture opens before the pipeline: it decides how many flow
	// tables there are (one per socket), and packets queue in its rings
	// from now on.
	var shards int
	if d.offline() {
		// One table hands the flows out in one order, so that the
		// verdicts that take from earlier flows (a resumed session's
		// server, a pair's rhythm) are the same on every run (Ordered
		// below); capture.workers spreads live capture.
		shards = 1
		d.source = &pipeline.FileInput{Paths: d.files, Report: d.reportFileProblem}
	} else {
		live, err := d.openLive(cfg)
		if err != nil {
			return nil, err
		}
		d.source, shards = live, live.Workers()
		roomForCapture(live.Workers())
	}
	if l := boundHeap(cfg.Flow.BudgetBytes(), cfg.Flow.MaxFlows); l > 0 {
		d.log.Info("go heap soft limit", zap.Int64("bytes", l))
	}
	if d.limiter, err = ratelimit.New(cfg.Alerts); err != nil {
		return nil, err
	}
	if d.beacons, err = newBeaconTracker(cfg); err != nil {
		return nil, err
	}
	scans, err := newScanTracker(cfg)
	if err != nil {
		return nil, err
	}
	d.logs = pipeline.NewLogSink(d.logOutputs(cfg, d.flowLog, d.tlsLog, d.pcaps), d.model.Name(), d.metrics, d.log.Logger)
	d.pipeline, err = pipeline.New(pipeline.Config{
		Shards:         shards,
		Ports:          cfg.Capture.PortList(),
		Table:          cfg.Flow,
		Tuning:         cfg.Detector.Tuning(),
		DropWhenBehind: !d.offline(), // a file can wait for the detector; a capture ring cannot
		// Capture files give the same verdicts on every run, as score
		// does: a resumed session takes its server's certificate facts,
		// and the beacon tracker a pair's rhythm, from the flows gathered
		// before it, in the order the tables handed them out.
		Ordered:   d.offline(),
		ParseTLS:  true,
		NewScorer: d.model.NewScorer,
		Model:     d.model.Name(),
		ModelInfo: modelInfo(d.model),
		Policy:    &policy,
		Limiter:   d.limiter,
		Beacons:   d.beacons,
		Scans:     scans,
		Sink:      d.logs,
		Metrics:   d.metrics,
		Log:       d.log.Logger,
	})
	if err != nil {
		return nil, err
	}
	var check func(*config.Config) error
	if !d.offline() {
		check = (*config.Config).ValidateLive
	}
	d.holder = config.NewHolder(cfg, check)
	d.metrics.SetBlocklistEntries(policy.Block)
	return d, nil
}

// modelInfo describes m for tlsentry_model_info.
func modelInfo(m *detector.Model) metrics.ModelInfo {
	return metrics.ModelInfo{ID: m.ID(), Name: m.Name(), Kind: m.Kind(), Layout: m.File.Meta.Layout}
}

// loadConfig loads and validates the configuration file as the daemon
// runs it: check-config and run both load through here, so that they
// never disagree.
func loadConfig(path string, live bool) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err == nil && live {
		err = cfg.ValidateLive()
	}
	return cfg, err
}

func (d *daemon) offline() bool { return len(d.files) > 0 }

// loadConfiguredModel loads detector.model, or the embedded default.
func loadConfiguredModel(cfg *config.Config) (*detector.Model, error) {
	if cfg.Detector.Model == "" {
		m, err := detector.Default()
		if err != nil {
			return nil, cfg.Errorf("detector.model", "%v", err)
		}
		return m, nil
	}
	m, err := detector.LoadFile(cfg.Detector.Model)
	if err != nil {
		return nil, cfg.Errorf("detector.model", "%v", err)
	}
	return m, nil
}

// buildPolicy is the verdict policy of cfg with model m: the threshold it
// resolves, the allowlist it compiles and the block lists it names (their
// files read now: a reload reads them again).
func buildPolicy(cfg *config.Config, m *detector.Model) (verdict.Policy, string, error) {
	threshold, from, err := cfg.ResolveThreshold(m.File.Meta)
	if err != nil {
		return verdict.Policy{}, "", err
	}
	allow, err := allowlist.New(cfg.Allowlist)
	if err != nil {
		return verdict.Policy{}, "", err
	}
	block, err := loadBlocklists(cfg)
	if err != nil {
		return verdict.Policy{}, "", err
	}
	p := verdict.Policy{Threshold: threshold, Allow: allow, Block: block}
	if err := p.Validate(); err != nil {
		return verdict.Policy{}, "", cfg.Errorf(from, "%v", err)
	}
	return p, from, nil
}

func (d *daemon) logOutputs(cfg *config.Config, flowLog, tlsLog *evelog.Log, pcaps *pcapdump.Writer) pipeline.LogOutputs {
	return pipeline.LogOutputs{Alerts: d.alerts, Flows: flowLog, TLS: tlsLog, Pcaps: pcaps, IncludePrefix: cfg.Output.IncludePrefix,
		IncludeHandshake: cfg.Output.IncludeHandshake}
}

func (d *daemon) alertLogConfig(cfg *config.Config) evelog.Config {
	c := evelog.Config{Path: cfg.Output.AlertLog, Sensor: cfg.Sensor.Name, Rotation: cfg.Output.Rotation(), Tee: d.tee(natsout.TypeAlert), Followed: d.logFollowed("alerts"),
		WriteFailed: d.logLost("alerts")}
	if cfg.Output.Stdout || d.foreground {
		c.Console = d.stdout
	}
	return c
}

// flowLogConfig is the flow log's: output.flow_log (may be empty) and
// the NATS output when it takes flow records.
func (d *daemon) flowLogConfig(cfg *config.Config) evelog.Config {
	return evelog.Config{Path: cfg.Output.FlowLog, Sensor: cfg.Sensor.Name, Rotation: cfg.Output.Rotation(), Tee: d.tee(natsout.TypeFlow), Followed: d.logFollowed("flows"),
		WriteFailed: d.logLost("flows")}
}

// tlsLogConfig is the tls log's: output.tls_log.
func (d *daemon) tlsLogConfig(cfg *config.Config) evelog.Config {
	return evelog.Config{Path: cfg.Output.TLSLog, Sensor: cfg.Sensor.Name, Rotation: cfg.Output.Rotation(), Followed: d.logFollowed("tls"),
		WriteFailed: d.logLost("tls")}
}

// logFollowed is told when a log file was found moved or removed without
// a SIGUSR1 (evelog checks now and then): it was opened again by name, or
// could not be, and then its lines count as write errors until it can.
// It is called under the log file's lock and writes only to the daemon's
// own log.
func (d *daemon) logFollowed(name string) func(string, error) {
	return func(path string, err error) {
		if err != nil {
			d.log.Error("log file moved or removed, and it cannot be opened again", zap.String("log", name), zap.String("path", path), zap.Error(err))
			return
		}
		d.metrics.LogReopened.WithLabelValues(name).Inc()
		d.log.Warn("log file moved or removed without SIGUSR1: opened again by name", zap.String("log", name), zap.String("path", path))
	}
}

// logLost counts the lines of a log that were buffered but could not be
// written to its file (evelog writes lines a tenth of a second late) as
// the log's write errors. The sink exists before the first line.
func (d *daemon) logLost(name string) func(string, int, error) {
	return func(_ string, lines int, err error) {
		if d.logs != nil {
			d.logs.LinesLost(name, lines, err)
		}
	}
}

// close closes what startDaemon opened; the pipeline has stopped.
func (d *daemon) close() {
	var errs []error
	if d.live != nil {
		for _, c := range d.live.Captures {
			c.Close() // a capture that ran is closed already
		}
	}
	if d.filter != nil {
		if d.metrics != nil {
			d.metrics.SetFilterStats(nil) // a scrape now would read a closed map
		}
		errs = append(errs, d.filter.Close())
	}
	if d.metricsListener != nil {
		d.metricsListener.Close() // unless Serve took it (and closed it)
	}
	if d.flowLog != nil {
		errs = append(errs, d.flowLog.Close())
	}
	if d.tlsLog != nil {
		errs = append(errs, d.tlsLog.Close())
	}
	if d.alerts != nil {
		errs = append(errs, d.alerts.Close())
	}
	errs = append(errs, d.stopNATS()) // after the logs that feed it
	if d.log != nil {
		if err := errors.Join(errs...); err != nil {
			d.log.Error("closing the logs", zap.Error(err))
		}
		d.log.close()
	}
}

// loadBlocklists reads the block list files cfg names, all or nothing.
func loadBlocklists(cfg *config.Config) (*blocklist.Lists, error) {
	block, err := blocklist.Load(cfg.Blocklist)
	if err == nil {
		return block, nil
	}
	// Each file's problems at its key: blocklist.sni[1].
	var errs []error
	for _, e := range unjoin(err) {
		if fe, ok := errors.AsType[*blocklist.FileError](e); ok {
			e = cfg.Errorf(fmt.Sprintf("blocklist.%s[%d]", fe.Kind, fe.Index), "%v", fe.Err)
		}
		errs = append(errs, e)
	}
	return nil, errors.Join(errs...)
}

// unjoin lists the errors errors.Join joined into err (err alone when it
// is not a join).
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// reportFileProblem tells a problem with a capture file (run -r): in the
// daemon's log, and on stderr as score -r says it when the log goes to a
// file, so that the exit's "N problem(s) in the input" is not all a
// person sees.
func (d *daemon) reportFileProblem(err error) {
	d.log.Warn("capture file problem", zap.Error(err))
	if !d.log.toStderr() {
		fmt.Fprintf(d.stderr, "tlsentry run: %s\n", termsafe.Line(err.Error()))
	}
}
