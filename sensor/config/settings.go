package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// FleetKeys lists the keys fleet settings may set: every hot key outside
// the sensor, blocklist and output sections, which are each sensor's own
// (its name, its files). Today: detector.threshold, detector.alert_rate,
// the allowlist, the alerts' rate limits and beacon.threshold.
func FleetKeys() []string {
	var keys []string
	for _, k := range HotKeys() {
		if !strings.HasPrefix(k, "sensor.") && !strings.HasPrefix(k, "output.") && !strings.HasPrefix(k, "blocklist.") {
			keys = append(keys, k)
		}
	}
	return keys
}

// WithSettings returns a copy of c with the keys data sets on top: data is
// a YAML document shaped like the configuration file that sets only
// FleetKeys (a fleet's or a sensor's settings). Setting
// detector.threshold clears detector.alert_rate and the other way round:
// the settings choose how the threshold is given. The result is
// validated; errors name the settings by name, with their lines. c is
// not changed.
func (c *Config) WithSettings(data []byte, name string) (*Config, error) {
	if len(data) > MaxFileSize {
		return nil, &Error{File: name, Msg: fmt.Sprintf("larger than %d bytes", MaxFileSize)}
	}
	root, err := parseDocument(data)
	if err != nil {
		return nil, syntaxError(name, err)
	}
	next := *c
	src := &source{name: name, lines: map[string]int{}}
	next.src = src
	d := decoder{errs: errorList{src: src}, src: src}
	if root != nil {
		d.decodeStruct(root, reflect.ValueOf(&next).Elem(), "")
	}
	allowed := FleetKeys()
	for _, path := range sortedKeys(src.lines) {
		section, key, ok := strings.Cut(path, ".")
		if !ok || strings.ContainsAny(key, ".[") || src.hasFailed(path) {
			continue // a section, a list entry, or reported already
		}
		if !slices.Contains(allowed, path) {
			d.errs.add(path, "not a fleet setting (each sensor sets its %s keys itself; fleet settings may set %s)",
				section, strings.Join(allowed, ", "))
		}
	}
	_, tSet := src.lines["detector.threshold"]
	_, rSet := src.lines["detector.alert_rate"]
	switch {
	case tSet && !rSet:
		next.Detector.AlertRate = 0
	case rSet && !tSet:
		next.Detector.Threshold = 0
	}
	next.check(&d.errs)
	if err := d.errs.sorted().err(); err != nil {
		return nil, err
	}
	return &next, nil
}

// sortedKeys returns m's keys in order, so that errors come in a stable
// order.
func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
