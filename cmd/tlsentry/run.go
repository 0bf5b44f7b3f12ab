package main

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/tlsentry/tlsentry/internal/sdnotify"
	"github.com/tlsentry/tlsentry/sensor/metrics"
)

// defaultConfigPath is where make install puts the configuration.
const defaultConfigPath = "/etc/tlsentry/tlsentry.yaml"

var runCommandHelp = help{
	usage: []string{"tlsentry run [-config FILE] [-r FILE ...] [-foreground]"},
	about: `The sensor daemon. It loads and checks the configuration, the model and
its threshold, then captures on capture.interfaces (AF_PACKET, one socket
and flow table per worker, the eBPF filter attached), scores each flow and
writes one JSON line per alert to output.alert_log, every scored flow to
output.flow_log when set, one tls record per TLS session to
output.tls_log when set, its own log to output.log (stderr when empty),
and Prometheus metrics on metrics.listen. With -r it runs the same pipeline
over capture files and exits when they are read.

Live capture needs CAP_NET_RAW, CAP_BPF for the eBPF filter (capture.bpf),
and on kernels before 5.11 a high RLIMIT_MEMLOCK; the systemd unit grants
exactly these. An error names the one that is missing.

An interface that does not exist yet or is down does not stop the start,
and one that goes down, loses its carrier or is removed and made again
does not stop the daemon: it waits for it, keeps the flows in hand, and
captures again once it is up; its log and the tlsentry_capture_link_*
metrics say so.

Signals: HUP reloads the configuration (a file that does not load is
refused and the running one stays), USR1 reopens the log files (after
logrotate moved them), INT and TERM stop the capture, score the flows in
hand, flush the logs and exit 0.`,
}

// runRun is the daemon: live capture on the configured interfaces, or
// the same pipeline over capture files with -r. SIGHUP reloads the
// configuration, SIGUSR1 reopens the logs, SIGINT/SIGTERM (the context)
// stop the capture, score what the flow tables hold and exit.
func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", runCommandHelp)
	configPath := fs.String("config", defaultConfigPath, "configuration file")
	var files fileList
	fs.Var(&files, "r", "read this capture `FILE` (pcap or pcapng, gzip-compressed or not; - for standard input) instead of capturing live; repeat for several, read in order")
	foreground := fs.Bool("foreground", false, "also print alerts to stdout (as output.stdout does)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	d, err := startDaemon(daemonOptions{
		configPath: *configPath,
		files:      files,
		foreground: *foreground,
		stdout:     stdout,
		stderr:     stderr,
	})
	if err != nil {
		return err
	}
	return d.run(ctx)
}

// run runs the pipeline until its input ends or ctx is cancelled,
// handling SIGHUP and SIGUSR1 meanwhile, then closes everything.
func (d *daemon) run(ctx context.Context) error {
	defer d.close()

	// The metrics endpoint outlives the pipeline: the last flows' counts
	// are still scraped while they are scored.
	serveCtx, stopServing := context.WithCancel(context.Background())
	var serving sync.WaitGroup
	if d.metricsListener != nil {
		serving.Go(func() {
			if err := metrics.ServeListener(serveCtx, d.metricsListener, d.registry); err != nil {
				d.log.Error("metrics endpoint failed", zap.Error(err))
			}
		})
	}
	defer func() {
		stopServing()
		serving.Wait()
	}()

	hup, usr1 := make(chan os.Signal, 1), make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(hup)
	defer signal.Stop(usr1)
	pipelineDone := make(chan struct{})
	var signals sync.WaitGroup
	signals.Go(func() { d.handleSignals(ctx, hup, usr1, pipelineDone) })
	watchCtx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	d.startNATS(watchCtx)

	d.notify(sdnotify.Ready)
	d.log.Info("started", d.startFields()...)
	start := time.Now()
	err := d.pipeline.Run(ctx, d.source)
	close(pipelineDone)
	signals.Wait()
	stopWatching()
	d.stopping() // for an input that ended by itself
	err = errors.Join(err, d.logs.Sync(), d.stopNATS())

	st, ls := d.pipeline.Stats(), d.logs.Stats()
	fields := []zap.Field{zap.Duration("ran", time.Since(start)), zap.Uint64("flows", st.Flows), zap.Uint64("scored", st.Scored),
		zap.Uint64("dropped", st.Dropped), zap.Uint64("alerts", ls.Alerts), zap.Uint64("suppressed", st.Suppressed),
		zap.Uint64("no_payload", st.NoPayload), zap.Uint64("write_errors", ls.WriteErrors),
		zap.Uint64("alerts_rate_limited", d.limiter.Stats().Held)}
	fields = append(fields, beaconFields(d.beacons)...)
	fields = append(fields, d.captureFields()...)
	fields = append(fields, d.natsFields()...)
	if err != nil {
		d.log.Error("stopped with an error", append(fields, zap.Error(err))...)
		return err
	}
	d.log.Info("stopped", fields...)
	return nil
}

// handleSignals reloads on SIGHUP and reopens the logs on SIGUSR1 until
// the pipeline is done; it tells systemd when the stop begins.
func (d *daemon) handleSignals(ctx context.Context, hup, usr1 <-chan os.Signal, done <-chan struct{}) {
	stopping := ctx.Done()
	for {
		select {
		case <-hup:
			d.reload()
		case <-usr1:
			d.reopen()
		case r := <-d.fleetRevisions():
			d.applyRevision(r)
		case <-stopping:
			stopping = nil
			d.stopping()
		case <-done:
			return
		}
	}
}

// stopping tells systemd, once, that the daemon is on its way out.
func (d *daemon) stopping() {
	d.stopOnce.Do(func() {
		d.notify(sdnotify.Stopping)
		d.log.Info("stopping: capture stopped, scoring the flows in hand")
	})
}

// notify tells systemd (when it runs the daemon as Type=notify).
func (d *daemon) notify(state string) {
	if _, err := sdnotify.Notify(state); err != nil {
		d.log.Warn("cannot notify systemd", zap.String("state", state), zap.Error(err))
	}
}

func (d *daemon) startFields() []zap.Field {
	cfg := d.holder.Current()
	pol := d.pipeline.Policy()
	mode := "live"
	if len(d.files) > 0 {
		mode = "capture files"
	}
	return append([]zap.Field{
		zap.String("sensor", cfg.Sensor.Name), zap.String("mode", mode), zap.Strings("interfaces", cfg.Capture.Interfaces),
		zap.Strings("files", d.files), zap.Int("workers", cfg.Capture.Workers), zap.String("model", d.model.Name()),
		zap.Float64("threshold", pol.Threshold), zap.String("threshold_from", d.thresholdFrom),
		zap.Int("allowlist_entries", pol.Allow.Len()), zap.Int("blocklist_entries", pol.Block.Total()), zap.String("alert_log", cfg.Output.AlertLog),
		zap.String("flow_log", cfg.Output.FlowLog), zap.String("tls_log", cfg.Output.TLSLog), zap.String("metrics", cfg.Metrics.Listen),
	}, d.natsStartFields()...)
}
