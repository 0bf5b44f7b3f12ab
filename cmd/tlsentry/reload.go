package main

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/tlsentry/tlsentry/detector"
	"github.com/tlsentry/tlsentry/internal/sdnotify"
	"github.com/tlsentry/tlsentry/sensor/config"
	"github.com/tlsentry/tlsentry/sensor/evelog"
	"github.com/tlsentry/tlsentry/sensor/fleet"
	"github.com/tlsentry/tlsentry/sensor/pcapdump"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
	"github.com/tlsentry/tlsentry/sensor/verdict"
)

// reload handles SIGHUP: build → validate → open → swap. The file is
// loaded and checked, and everything its hot keys need is built and
// opened (the model file read again, the policy with its block list
// files read again, the daemon's log, the alert and flow logs); only
// when all of that worked is it swapped in, in one step that cannot fail.
// A refused reload changes nothing. Restart-only keys that changed are
// logged as waiting for a restart.
func (d *daemon) reload() {
	d.notify(sdnotify.Reloading())
	defer d.notify(sdnotify.Ready)
	hot, restart, err := d.tryReload()
	d.metrics.Reloaded(err, time.Now())
	if err != nil {
		d.holder.Refused(err)
		d.log.Error("configuration reload refused: the running configuration stays", zap.String("config", d.configPath), zap.Error(err))
		return
	}
	pol := d.pipeline.Policy()
	d.log.Info("configuration reloaded", zap.String("config", d.configPath), zap.Strings("applied", hot),
		zap.String("model", d.model.Name()), zap.Float64("threshold", pol.Threshold), zap.String("threshold_from", d.thresholdFrom),
		zap.Int("blocklist_entries", pol.Block.Total()), zap.Float64("beacon_threshold", d.holder.Current().Beacon.Threshold))
	if len(restart) > 0 {
		d.log.Warn("changed keys take effect only after a restart", zap.Strings("keys", restart))
	}
}

// stagedReload is everything a reload built and opened, not yet in use.
type stagedReload struct {
	pending *config.Pending
	model   *detector.Model // the model to run with: d.model, or a new one
	policy  verdict.Policy
	from    string
	log     *stagedLog
	alerts  *evelog.Staged
	flows   *evelog.Staged   // the flow log reconfigured
	newFlow *evelog.Log      // or a flow log opened (it was off)
	tls     *evelog.Staged   // the tls log reconfigured
	newTLS  *evelog.Log      // or a tls log opened (it was off)
	pcaps   *pcapdump.Writer // the alerts' pcap folder to use (nil: off)
}

// abort closes what was opened for a reload that will not happen.
func (s *stagedReload) abort() {
	if s.log != nil {
		s.log.abort()
	}
	if s.alerts != nil {
		s.alerts.Abort()
	}
	if s.flows != nil {
		s.flows.Abort()
	}
	if s.newFlow != nil {
		s.newFlow.Close()
	}
	if s.tls != nil {
		s.tls.Abort()
	}
	if s.newTLS != nil {
		s.newTLS.Close()
	}
}

// tryReload builds the reloaded configuration's parts and swaps them in.
func (d *daemon) tryReload() (hot, restart []string, err error) {
	s, err := d.prepareReload()
	if err != nil {
		return nil, nil, err
	}
	hot = s.pending.Hot
	if s.model != d.model {
		// The key did not change, but its file holds another model now,
		// which this reload puts in use: say so among what it applied.
		hot = append(slices.Clip(hot), "detector.model")
	}
	d.commitReload(s)
	return hot, s.pending.Restart, nil
}

// prepareReload loads and checks the file (with the fleet's settings in
// effect over it) and opens what it needs; on error whatever it opened
// is closed again.
func (d *daemon) prepareReload() (*stagedReload, error) {
	return d.prepareReloadWith(d.fleetSettings(), true)
}

// prepareReloadWith is prepareReload with the given fleet settings (a
// fleet revision being tried); readModel: read detector.model's file
// again (SIGHUP), else keep the running model.
func (d *daemon) prepareReloadWith(settings map[fleet.Kind][]byte, readModel bool) (_ *stagedReload, err error) {
	s := &stagedReload{}
	defer func() {
		if err != nil {
			s.abort()
		}
	}()
	next, err := d.loadWithFleet(settings)
	if err != nil {
		return nil, err
	}
	if s.pending, err = d.holder.PrepareConfig(next); err != nil {
		return nil, err
	}
	cfg := s.pending.Config
	s.model = d.model
	if readModel {
		if s.model, err = d.readModel(cfg); err != nil {
			return nil, err
		}
	}
	if s.policy, s.from, err = buildPolicy(cfg, s.model); err != nil {
		return nil, err
	}
	if s.log, err = d.log.prepare(cfg.Output.LogLevel, cfg.Output.Log); err != nil {
		return nil, err
	}
	if s.alerts, err = d.alerts.Prepare(d.alertLogConfig(cfg)); err != nil {
		return nil, fmt.Errorf("output.alert_log: %w", err)
	}
	switch {
	case !d.wantFlowLog(cfg):
	case d.flowLog != nil:
		if s.flows, err = d.flowLog.Prepare(d.flowLogConfig(cfg)); err != nil {
			return nil, fmt.Errorf("output.flow_log: %w", err)
		}
	default:
		if s.newFlow, err = evelog.New(d.flowLogConfig(cfg)); err != nil {
			return nil, fmt.Errorf("output.flow_log: %w", err)
		}
	}
	switch {
	case cfg.Output.TLSLog == "":
	case d.tlsLog != nil:
		if s.tls, err = d.tlsLog.Prepare(d.tlsLogConfig(cfg)); err != nil {
			return nil, fmt.Errorf("output.tls_log: %w", err)
		}
	default:
		if s.newTLS, err = evelog.New(d.tlsLogConfig(cfg)); err != nil {
			return nil, fmt.Errorf("output.tls_log: %w", err)
		}
	}
	// The pcap folder: the same one keeps its files and counts (its bound
	// changes at the swap); another is opened now.
	if dir := cfg.Output.AlertPcapDir; dir != "" {
		if s.pcaps = d.pcaps; d.pcaps == nil || d.holder.Current().Output.AlertPcapDir != dir {
			if s.pcaps, err = pcapdump.Open(cfg.Output.Pcaps()); err != nil {
				return nil, fmt.Errorf("output.alert_pcap_dir: %w", err)
			}
		}
	}
	return s, nil
}

// commitReload swaps a prepared reload in. Nothing in it can fail; old
// files that do not close cleanly are only reported.
func (d *daemon) commitReload(s *stagedReload) {
	cfg := s.pending.Config
	s.pending.Commit()
	var closeErrs []error
	closeErrs = append(closeErrs, s.log.commit(), s.alerts.Commit())
	flowLog := d.flowLog
	switch {
	case s.flows != nil:
		closeErrs = append(closeErrs, s.flows.Commit())
	case s.newFlow != nil:
		flowLog = s.newFlow
	case !d.wantFlowLog(cfg):
		flowLog = nil
	}
	if s.pcaps != nil && s.pcaps == d.pcaps {
		closeErrs = append(closeErrs, s.pcaps.SetMaxBytes(cfg.Output.Pcaps().MaxBytes))
	}
	tlsLog := d.tlsLog
	switch {
	case s.tls != nil:
		closeErrs = append(closeErrs, s.tls.Commit())
	case s.newTLS != nil:
		tlsLog = s.newTLS
	case cfg.Output.TLSLog == "":
		tlsLog = nil
	}
	d.pcaps = s.pcaps
	old := d.logs.SetOutputs(d.logOutputs(cfg, flowLog, tlsLog, s.pcaps))
	if old.Flows != nil && old.Flows != flowLog {
		closeErrs = append(closeErrs, old.Flows.Close()) // no worker writes to it any more
	}
	if old.TLS != nil && old.TLS != tlsLog {
		closeErrs = append(closeErrs, old.TLS.Close())
	}
	d.flowLog, d.tlsLog = flowLog, tlsLog
	var swapErr error
	if s.model != d.model {
		swapErr = d.pipeline.SetModel(pipeline.Model{Name: s.model.Name(), NewScorer: s.model.NewScorer, Info: modelInfo(s.model)}, s.policy)
		if swapErr == nil {
			d.log.Info("model reloaded", zap.String("file", cfg.Detector.Model), zap.String("old", d.model.Name()), zap.String("new", s.model.Name()))
			d.model = s.model
		}
	} else {
		swapErr = d.pipeline.SetPolicy(s.policy)
	}
	var beaconErr error
	if d.beacons != nil {
		beaconErr = d.beacons.SetThreshold(cfg.Beacon.Threshold) // the pairs and their history stay
	}
	if err := errors.Join(swapErr, d.limiter.SetConfig(cfg.Alerts), beaconErr); err != nil {
		// All were validated in prepareReload (the model made a scorer
		// there): this cannot happen.
		d.log.Error("reloaded model, policy or rate limits refused", zap.Error(err))
	}
	d.metrics.SetBlocklistEntries(d.pipeline.Policy().Block)
	d.thresholdFrom = s.from
	if err := errors.Join(closeErrs...); err != nil {
		d.log.Warn("reloaded, but an old log file did not close cleanly", zap.Error(err))
	}
}

// reopen handles SIGUSR1: every log file is reopened by name, after an
// external logrotate moved it away.
func (d *daemon) reopen() {
	errs := []error{d.log.reopen(), d.alerts.Reopen()}
	if d.flowLog != nil {
		errs = append(errs, d.flowLog.Reopen())
	}
	if d.tlsLog != nil {
		errs = append(errs, d.tlsLog.Reopen())
	}
	if err := errors.Join(errs...); err != nil {
		d.log.Error("cannot reopen the logs", zap.Error(err))
		return
	}
	d.log.Info("logs reopened")
}

// readModel reads detector.model's file again for a reload: the model to
// run with. It is the running one when the model is the embedded default
// or the fleet's (a fleet model stays until the fleet removes it), or
// when the file holds the same model (same id); a new model must make a
// scorer here, so that one that loads but cannot score is refused too.
func (d *daemon) readModel(cfg *config.Config) (*detector.Model, error) {
	if cfg.Detector.Model == "" || d.fleetModel {
		return d.model, nil
	}
	m, err := detector.LoadFile(cfg.Detector.Model)
	if err != nil {
		return nil, cfg.Errorf("detector.model", "%v", err)
	}
	if m.ID() == d.model.ID() {
		return d.model, nil
	}
	if _, err := m.NewScorer(); err != nil {
		return nil, cfg.Errorf("detector.model", "%s: %v", cfg.Detector.Model, err)
	}
	return m, nil
}
