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
	"github.com/tlsentry/tlsentry/internal/sdnotify"
	"github.com/tlsentry/tlsentry/sensor"
	"github.com/tlsentry/tlsentry/sensor/alertlog"
	"github.com/tlsentry/tlsentry/sensor/allowlist"
	"github.com/tlsentry/tlsentry/sensor/config"
	"github.com/tlsentry/tlsentry/sensor/metrics"
)

type daemonOptions struct {
	configPath     string
	files          []string // capture files; none: live capture
	foreground     bool
	stdout, stderr io.Writer
}

// daemon holds what runs and what a reload changes. Reloads and reopens
// happen on the signal goroutine only, so the fields they change
// (flowLog) need no lock.
type daemon struct {
	daemonOptions
	holder        *config.Holder
	model         *detector.Model
	thresholdFrom string
	log           *daemonLog
	alerts        *alertlog.Log
	flowLog       *alertlog.Log // nil when output.flow_log is empty
	pipeline      *sensor.Pipeline
	source        sensor.PacketSource
	live          *sensor.LiveInput // nil with capture files
	filter        *bpf.Filter       // nil without capture.bpf

	stopOnce sync.Once

	registry        *prometheus.Registry
	metrics         *metrics.Metrics
	metricsListener net.Listener
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
	cfg, err := config.Load(opts.configPath)
	if err == nil && !d.offline() {
		err = cfg.ValidateLive()
	}
	if err != nil {
		return nil, err
	}
	if d.log, err = newDaemonLog(cfg.Output.LogLevel, cfg.Output.Log, opts.stderr); err != nil {
		return nil, err
	}
	if d.model, err = loadConfiguredModel(cfg); err != nil {
		return nil, err
	}
	policy, from, err := d.policy(cfg)
	if err != nil {
		return nil, err
	}
	d.thresholdFrom = from

	d.registry = prometheus.NewRegistry()
	if d.metrics, err = metrics.New(d.registry); err != nil {
		return nil, err
	}
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

	if d.alerts, err = alertlog.New(d.alertLogConfig(cfg)); err != nil {
		return nil, cfg.Errorf("output.alert_log", "%v", err)
	}
	if cfg.Output.FlowLog != "" {
		if d.flowLog, err = alertlog.New(flowLogConfig(cfg)); err != nil {
			return nil, cfg.Errorf("output.flow_log", "%v", err)
		}
	}
	// The capture opens before the pipeline: it decides how many flow
	// tables there are (one per socket), and packets queue in its rings
	// from now on.
	workers := cfg.Capture.Workers
	if d.offline() {
		d.source = &sensor.FileInput{Paths: d.files, Report: func(err error) { d.log.Warn("capture file problem", zap.Error(err)) }}
	} else {
		live, err := d.openLive(cfg)
		if err != nil {
			return nil, err
		}
		d.source, workers = live, live.Workers()
	}
	d.pipeline, err = sensor.NewPipeline(sensor.PipelineConfig{
		Workers:        workers,
		Ports:          ports(cfg),
		Table:          cfg.Flow.TableConfig(),
		BatchSize:      cfg.Detector.BatchSize,
		BatchTimeout:   cfg.Detector.BatchTimeout,
		QueueSize:      cfg.Detector.QueueSize,
		DropWhenBehind: !d.offline(), // a file can wait for the detector; a capture ring cannot
		ScoringWorkers: cfg.Detector.ScoringWorkers,
		NewScorer:      d.model.NewScorer,
		Model:          d.model.Name(),
		Policy:         policy,
		Alerts:         d.alerts,
		FlowLog:        d.flowLog,
		Metrics:        d.metrics,
		Log:            d.log.Logger,
	})
	if err != nil {
		return nil, err
	}
	d.holder = config.NewHolder(cfg, d.checkReload)
	return d, nil
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

// policy is the alert policy cfg gives with the loaded model, and where
// its threshold came from.
func (d *daemon) policy(cfg *config.Config) (sensor.AlertPolicy, string, error) {
	threshold, from, err := cfg.ResolveThreshold(d.model.File.Meta)
	if err != nil {
		return sensor.AlertPolicy{}, "", err
	}
	allow, err := allowlist.New(cfg.Allowlist)
	if err != nil {
		return sensor.AlertPolicy{}, "", err
	}
	return sensor.AlertPolicy{Threshold: threshold, Allow: allow, IncludePrefix: cfg.Output.IncludePrefix}, from, nil
}

// checkReload refuses, before the swap, a reloaded file the daemon could
// not run with: no interfaces in live mode, a threshold or alert rate
// the loaded model cannot resolve.
func (d *daemon) checkReload(cfg *config.Config) error {
	if !d.offline() {
		if err := cfg.ValidateLive(); err != nil {
			return err
		}
	}
	_, _, err := d.policy(cfg)
	return err
}

func (d *daemon) alertLogConfig(cfg *config.Config) alertlog.Config {
	c := alertlog.Config{Path: cfg.Output.AlertLog, Sensor: cfg.Sensor.Name, Rotation: rotation(cfg)}
	if cfg.Output.Stdout || d.foreground {
		c.Console = d.stdout
	}
	return c
}

func flowLogConfig(cfg *config.Config) alertlog.Config {
	return alertlog.Config{Path: cfg.Output.FlowLog, Sensor: cfg.Sensor.Name, Rotation: rotation(cfg)}
}

func rotation(cfg *config.Config) alertlog.Rotation {
	o := cfg.Output
	return alertlog.Rotation{MaxBytes: int64(o.RotateSizeMB) << 20, MaxAge: o.RotateAge, MaxBackups: o.MaxBackups}
}

// reload handles SIGHUP: the file is loaded and checked; a bad one is
// refused with its error and the running configuration stays. A good
// one's hot keys apply at once; restart-only keys that changed are
// logged as waiting for a restart.
func (d *daemon) reload() {
	d.notify(sdnotify.Reloading())
	defer d.notify(sdnotify.Ready)
	hot, restart, err := d.holder.Reload(d.configPath)
	if err == nil {
		err = d.apply(d.holder.Current())
	}
	d.metrics.Reloaded(err, time.Now())
	if err != nil {
		d.log.Error("configuration reload refused: the running configuration stays", zap.String("config", d.configPath), zap.Error(err))
		return
	}
	d.log.Info("configuration reloaded", zap.String("config", d.configPath), zap.Strings("applied", hot),
		zap.Float64("threshold", d.pipeline.Policy().Threshold))
	if len(restart) > 0 {
		d.log.Warn("changed keys take effect only after a restart", zap.Strings("keys", restart))
	}
}

// apply puts a reloaded configuration's hot keys into effect: the
// daemon's log, the alert and flow logs, then the alert policy. It goes
// on after a failure, so that what can apply does, and reports them all.
func (d *daemon) apply(cfg *config.Config) error {
	var errs []error
	if err := d.log.apply(cfg.Output.LogLevel, cfg.Output.Log); err != nil {
		errs = append(errs, err)
	}
	if err := d.alerts.Reconfigure(d.alertLogConfig(cfg)); err != nil {
		errs = append(errs, fmt.Errorf("output.alert_log: %w", err))
	}
	if err := d.applyFlowLog(cfg); err != nil {
		errs = append(errs, fmt.Errorf("output.flow_log: %w", err))
	}
	policy, from, err := d.policy(cfg)
	if err == nil {
		err = d.pipeline.SetPolicy(policy)
	}
	if err != nil {
		errs = append(errs, err)
	} else {
		d.thresholdFrom = from
	}
	return errors.Join(errs...)
}

// applyFlowLog opens, switches or closes the flow log.
func (d *daemon) applyFlowLog(cfg *config.Config) error {
	switch {
	case cfg.Output.FlowLog == "" && d.flowLog != nil:
		old := d.pipeline.SetFlowLog(nil)
		d.flowLog = nil
		return old.Close()
	case cfg.Output.FlowLog == "":
		return nil
	case d.flowLog != nil:
		return d.flowLog.Reconfigure(flowLogConfig(cfg))
	}
	l, err := alertlog.New(flowLogConfig(cfg))
	if err != nil {
		return err
	}
	d.flowLog = l
	d.pipeline.SetFlowLog(l)
	return nil
}

// reopen handles SIGUSR1: every log file is reopened by name, after an
// external logrotate moved it away.
func (d *daemon) reopen() {
	errs := []error{d.log.reopen(), d.alerts.Reopen()}
	if d.flowLog != nil {
		errs = append(errs, d.flowLog.Reopen())
	}
	if err := errors.Join(errs...); err != nil {
		d.log.Error("cannot reopen the logs", zap.Error(err))
		return
	}
	d.log.Info("logs reopened")
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
		errs = append(errs, d.filter.Close())
	}
	if d.metricsListener != nil {
		d.metricsListener.Close() // unless Serve took it (and closed it)
	}
	if d.flowLog != nil {
		errs = append(errs, d.flowLog.Close())
	}
	if d.alerts != nil {
		errs = append(errs, d.alerts.Close())
	}
	if d.log != nil {
		if err := errors.Join(errs...); err != nil {
			d.log.Error("closing the logs", zap.Error(err))
		}
		d.log.close()
	}
}
