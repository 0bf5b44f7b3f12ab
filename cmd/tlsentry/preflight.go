package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"

	"github.com/tlsentry/tlsentry/detector"
	"github.com/tlsentry/tlsentry/sensor/config"
	"github.com/tlsentry/tlsentry/sensor/verdict"
)

// preflight is what run checks before it opens anything, and what
// check-config reports: the file loads and validates (live: with
// interfaces), the model loads, the threshold resolves against it, the
// allowlist compiles. Both commands go through it, so check-config can
// never pass a file run refuses for these reasons.
type preflight struct {
	cfg   *config.Config
	model *detector.Model
	pol   verdict.Policy
	from  string // where the threshold came from
}

func runPreflight(path string, live bool) (*preflight, error) {
	cfg, err := loadConfig(path, live)
	if err != nil {
		return nil, err
	}
	pf := &preflight{cfg: cfg}
	if pf.model, err = loadConfiguredModel(cfg); err != nil {
		return nil, err
	}
	if pf.pol, pf.from, err = buildPolicy(cfg, pf.model); err != nil {
		return nil, err
	}
	return pf, nil
}

// checkOutputs does what run does next, without keeping anything: the
// log files open for appending (nothing is truncated; a file made only
// for the check is removed again). (The metrics address is not tried: a
// running daemon holds it while its new configuration is checked.)
func (pf *preflight) checkOutputs() error {
	cfg := pf.cfg
	var errs []error
	for _, o := range []struct{ key, path string }{
		{"output.alert_log", cfg.Output.AlertLog}, {"output.flow_log", cfg.Output.FlowLog}, {"output.tls_log", cfg.Output.TLSLog}, {"output.log", cfg.Output.Log},
	} {
		if o.path == "" {
			continue
		}
		if err := tryAppend(o.path); err != nil {
			errs = append(errs, cfg.Errorf(o.key, "%v", err))
		}
	}
	errs = append(errs, checkNATS(cfg)...)
	return errors.Join(errs...)
}

// interfaceWarnings says which capture interfaces do not exist here or
// are down. run starts anyway and captures on each once it is there and
// up, so these are warnings, not problems.
func (pf *preflight) interfaceWarnings() []error {
	var warns []error
	for i, name := range pf.cfg.Capture.Interfaces {
		key := fmt.Sprintf("capture.interfaces[%d]", i)
		ifi, err := net.InterfaceByName(name)
		switch {
		case err != nil && !interfaceExists(name):
			warns = append(warns, pf.cfg.Errorf(key, "warning: %q does not exist here: run starts and waits for it, capturing once it exists and is up", name))
		case err != nil:
			warns = append(warns, pf.cfg.Errorf(key, "warning: %q: %v: run starts and captures once it can", name, err))
		case ifi.Flags&net.FlagUp == 0:
			warns = append(warns, pf.cfg.Errorf(key, "warning: %q is down: run starts and captures once it is up", name))
		}
	}
	return warns
}

func interfaceExists(name string) bool {
	ifaces, err := net.Interfaces()
	return err == nil && slices.ContainsFunc(ifaces, func(ifi net.Interface) bool { return ifi.Name == name })
}

// tryAppend opens path for appending as the logs do (creating its
// directory and the file if needed), then undoes what it created.
func tryAppend(path string) error {
	dir := filepath.Dir(path)
	_, dirErr := os.Stat(dir)
	madeDir := errors.Is(dirErr, fs.ErrNotExist)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	_, statErr := os.Lstat(path)
	made := errors.Is(statErr, fs.ErrNotExist)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err == nil {
		var st os.FileInfo
		if st, err = f.Stat(); err == nil && !st.Mode().IsRegular() {
			err = fmt.Errorf("%s is not a regular file", path)
		}
		f.Close()
	}
	if made {
		os.Remove(path)
	}
	if madeDir {
		os.Remove(dir)
	}
	return err
}
