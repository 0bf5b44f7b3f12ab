package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/tlsentry/tlsentry/detector"
	"github.com/tlsentry/tlsentry/sensor/config"
	"github.com/tlsentry/tlsentry/sensor/evelog"
	"github.com/tlsentry/tlsentry/sensor/fleet"
	"github.com/tlsentry/tlsentry/sensor/natsout"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
)

// natsParts are the daemon's NATS output and fleet watch; the zero value
// is both off.
type natsParts struct {
	nc      *natsout.Conn
	out     *natsout.Output // nil without output.nats
	tees    [2]*natsout.Writer
	stopped bool

	fleet *fleetState // nil without fleet.watch
}

// fleetState is what the daemon runs of its fleet's revisions. The
// signal goroutine alone applies revisions and reads or changes it.
type fleetState struct {
	cfg       fleet.Config
	m         *fleet.Metrics
	revisions chan fleet.Revision // from the watcher to the signal goroutine
	// settings in effect (nil: none), by kind, and the revision of each
	// kind in effect.
	settings map[fleet.Kind][]byte
	revs     map[fleet.Kind]uint64
	watching sync.WaitGroup
}

// openNATS connects and opens the NATS output when output.nats has
// servers, and makes the fleet state when fleet.watch is on. Nothing is
// sent and nothing watched before startNATS.
func (d *daemon) openNATS(cfg *config.Config) error {
	nc := cfg.Output.NATS
	if !nc.Enabled() {
		return nil
	}
	var err error
	if d.nats.nc, err = natsout.Connect(nc, cfg.Sensor.Name, d.log.Logger); err != nil {
		return cfg.Errorf("output.nats", "%v", err)
	}
	m, err := natsout.NewMetrics(d.registry)
	if err != nil {
		return err
	}
	if d.nats.out, err = natsout.New(nc, natsout.Options{Sensor: cfg.Sensor.Name, Conn: d.nats.nc.Conn, Metrics: m, Log: d.log.Logger}); err != nil {
		return cfg.Errorf("output.nats", "%v", err)
	}
	for i, t := range []string{natsout.TypeAlert, natsout.TypeFlow} {
		if nc.Publishes(t) {
			if d.nats.tees[i], err = d.nats.out.Writer(t); err != nil {
				return err
			}
		}
	}
	if cfg.Fleet.Watch {
		fm, err := fleet.NewMetrics(d.registry)
		if err != nil {
			return err
		}
		d.nats.fleet = &fleetState{cfg: cfg.Fleet, m: fm, revisions: make(chan fleet.Revision),
			settings: map[fleet.Kind][]byte{}, revs: map[fleet.Kind]uint64{}}
	}
	return nil
}

// tee is the NATS writer that takes a copy of the lines of one log (nil:
// none).
func (d *daemon) tee(recordType string) evelog.LineWriter {
	i := 0
	if recordType == natsout.TypeFlow {
		i = 1
	}
	if w := d.nats.tees[i]; w != nil {
		return w
	}
	return nil
}

// wantFlowLog reports whether cfg needs a flow log: a file, or flow
// records for NATS.
func (d *daemon) wantFlowLog(cfg *config.Config) bool {
	return cfg.Output.FlowLog != "" || d.nats.tees[1] != nil
}

// startNATS starts publishing, and watching the fleet until ctx ends.
func (d *daemon) startNATS(ctx context.Context) {
	if d.nats.out != nil {
		// The publisher outlives ctx: Close drains it after the pipeline.
		d.nats.out.Start(context.WithoutCancel(ctx))
	}
	if f := d.nats.fleet; f != nil {
		f.watching.Go(func() { d.watchFleet(ctx) })
	}
}

// watchFleet follows the fleet's keys, handing each revision to the
// signal goroutine, until ctx ends; it waits for the server and tries
// again while it is away.
func (d *daemon) watchFleet(ctx context.Context) {
	f := d.nats.fleet
	name := d.holder.Current().Sensor.Name
	for ctx.Err() == nil {
		fl, err := fleet.Open(ctx, d.nats.nc.Conn, f.cfg)
		if err == nil {
			err = fl.Watch(ctx, name, func(r fleet.Revision) {
				select {
				case f.revisions <- r:
				case <-ctx.Done():
				}
			})
		}
		if ctx.Err() != nil {
			return
		}
		d.log.Warn("cannot watch the fleet's buckets; trying again", zap.Error(err))
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
		}
	}
}

// fleetRevisions is the channel revisions come on (nil without a fleet).
func (d *daemon) fleetRevisions() <-chan fleet.Revision {
	if d.nats.fleet == nil {
		return nil
	}
	return d.nats.fleet.revisions
}

// applyRevision applies a fleet revision through the reload path, or
// refuses it and keeps what runs; either way it is logged and counted.
func (d *daemon) applyRevision(r fleet.Revision) {
	f := d.nats.fleet
	if r.Revision == f.revs[r.Kind] {
		return // a watch started again hands over what runs already
	}
	err := d.tryRevision(r)
	f.m.Result(r, err)
	fields := []zap.Field{zap.String("key", string(r.Kind)), zap.Uint64("revision", r.Revision), zap.Bool("removed", r.Removed)}
	if err != nil {
		d.log.Error("fleet revision refused: the running one stays", append(fields, zap.Uint64("running", f.revs[r.Kind]), zap.Error(err))...)
		return
	}
	f.revs[r.Kind] = r.Revision
	d.log.Info("fleet revision applied", append(fields, zap.String("model", d.model.Name()),
		zap.Float64("threshold", d.pipeline.Policy().Threshold), zap.String("threshold_from", d.thresholdFrom))...)
}

func (d *daemon) tryRevision(r fleet.Revision) error {
	if r.Err != nil {
		return r.Err
	}
	if r.Kind == fleet.KindModel {
		return d.swapModel(r)
	}
	settings := map[fleet.Kind][]byte{}
	for k, v := range d.nats.fleet.settings {
		settings[k] = v
	}
	if r.Removed {
		delete(settings, r.Kind)
	} else {
		settings[r.Kind] = r.Data
	}
	s, err := d.prepareReloadWith(settings, false)
	if err != nil {
		return err
	}
	d.commitReload(s)
	d.nats.fleet.settings = settings
	return nil
}

// swapModel loads a fleet model (or, when the fleet's was removed, the
// configured one), checks it makes a scorer and resolves a threshold
// with the settings in effect, and swaps it into the pipeline.
func (d *daemon) swapModel(r fleet.Revision) error {
	cfg := d.holder.Current()
	var m *detector.Model
	var err error
	if r.Removed {
		m, err = loadConfiguredModel(cfg)
	} else if m, err = detector.Load(r.Data); err != nil {
		err = fmt.Errorf("model: %w", err)
	}
	if err != nil {
		return err
	}
	pol, from, err := buildPolicy(cfg, m)
	if err != nil {
		return err
	}
	if err := d.pipeline.SetModel(pipeline.Model{Name: m.Name(), NewScorer: m.NewScorer, Info: modelInfo(m)}, pol); err != nil {
		return err
	}
	d.model, d.thresholdFrom, d.fleetModel = m, from, !r.Removed
	d.metrics.SetBlocklistEntries(pol.Block)
	return nil
}

// loadWithFleet loads the configuration file and lays the fleet's
// settings, then the sensor's own, over it.
func (d *daemon) loadWithFleet(settings map[fleet.Kind][]byte) (*config.Config, error) {
	cfg, err := config.Load(d.configPath)
	if err != nil {
		return nil, err
	}
	for _, k := range []fleet.Kind{fleet.KindSettings, fleet.KindSensorSettings} {
		data, ok := settings[k]
		if !ok {
			continue
		}
		name := fmt.Sprintf("fleet %s", k)
		if cfg, err = cfg.WithSettings(data, name); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// fleetSettings are the settings in effect (none without a fleet).
func (d *daemon) fleetSettings() map[fleet.Kind][]byte {
	if d.nats.fleet == nil {
		return nil
	}
	return d.nats.fleet.settings
}

// stopNATS stops the fleet watch (its ctx has ended) and closes the
// output: records in hand are sent, or spooled for the next start.
func (d *daemon) stopNATS() error {
	if d.nats.stopped {
		return nil
	}
	d.nats.stopped = true
	if f := d.nats.fleet; f != nil {
		f.watching.Wait()
	}
	var err error
	if d.nats.out != nil {
		err = d.nats.out.Close()
	}
	if d.nats.nc != nil {
		d.nats.nc.Close()
	}
	if err != nil {
		return fmt.Errorf("output.nats: %w", err)
	}
	return nil
}

// natsStartFields describe the NATS output and fleet for the start line.
func (d *daemon) natsStartFields() []zap.Field {
	if d.nats.out == nil {
		return nil
	}
	fields := []zap.Field{zap.String("nats_subjects", d.nats.out.Prefix()+".*")}
	if f := d.nats.fleet; f != nil {
		fields = append(fields, zap.String("fleet", f.cfg.Name))
	}
	return fields
}

// natsFields describe the NATS output for the stop line.
func (d *daemon) natsFields() []zap.Field {
	if d.nats.out == nil {
		return nil
	}
	st := d.nats.out.Stats()
	return []zap.Field{zap.Uint64("nats_published", st.Published), zap.Uint64("nats_acked", st.Acked),
		zap.Uint64("nats_spooled", st.Spooled), zap.Uint64("nats_replayed", st.Replayed),
		zap.Uint64("nats_dropped", st.Dropped), zap.Int64("nats_left_in_spool", st.InSpool)}
}

// checkNATS is what check-config and run check of output.nats before
// connecting: the stream created at start takes the sensor's subjects,
// and the credential and TLS files can be read.
func checkNATS(cfg *config.Config) []error {
	nc := cfg.Output.NATS
	if !nc.Enabled() {
		return nil
	}
	var errs []error
	if err := nc.CheckPrefix(nc.Prefix(cfg.Sensor.Name)); err != nil {
		errs = append(errs, cfg.Errorf("output.nats.subject_prefix", "%v", err))
	}
	for _, f := range []struct{ key, path string }{
		{"output.nats.creds", nc.Creds}, {"output.nats.nkey", nc.NKey}, {"output.nats.tls_ca", nc.TLSCA},
		{"output.nats.tls_cert", nc.TLSCert}, {"output.nats.tls_key", nc.TLSKey},
	} {
		if f.path == "" {
			continue
		}
		if fh, err := os.Open(f.path); err != nil {
			errs = append(errs, cfg.Errorf(f.key, "%v", err))
		} else {
			fh.Close()
		}
	}
	return errs
}
