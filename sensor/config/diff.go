package config

import (
	"reflect"
)

// Diff lists the keys whose values differ between old and new, split into
// those a running sensor applies at once (hot: sensor.name,
// detector.threshold and alert_rate, allowlist.*, blocklist.*, output.*) and those
// that take a restart (restart: capture.*, flow.*, the other detector
// keys, metrics.listen). Keys come in file order as paths such as
// "detector.threshold"; a list is one key. An empty list and no list are
// equal. Both configs must be non-nil.
func Diff(old, new *Config) (hot, restart []string) {
	eachKey(old, new, func(path string, isHot bool, a, b reflect.Value) {
		if equalValues(a, b) {
			return
		}
		if isHot {
			hot = append(hot, path)
		} else {
			restart = append(restart, path)
		}
	})
	return hot, restart
}

// HotKeys lists every key Diff counts as hot, and RestartKeys every other
// key, in file order.
func HotKeys() []string { return keysBy(true) }

// RestartKeys lists every key that takes a restart, in file order.
func RestartKeys() []string { return keysBy(false) }

func keysBy(hot bool) []string {
	var keys []string
	c := &Config{}
	eachKey(c, c, func(path string, isHot bool, _, _ reflect.Value) {
		if isHot == hot {
			keys = append(keys, path)
		}
	})
	return keys
}

// eachKey calls fn for every leaf key of the two configs (section.key),
// with the two values and whether the key is hot.
func eachKey(a, b *Config, fn func(path string, hot bool, va, vb reflect.Value)) {
	ra, rb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	for _, sec := range fieldsOf(ra.Type()) {
		sa, sb := ra.Field(sec.index), rb.Field(sec.index)
		for _, f := range fieldsOf(sa.Type()) {
			fn(sec.key+"."+f.key, f.hot, sa.Field(f.index), sb.Field(f.index))
		}
	}
}

func equalValues(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Slice:
		if a.Len() == 0 && b.Len() == 0 {
			return true
		}
	case reflect.Struct: // a section inside a section (output.nats): field by field
		for i := range a.NumField() {
			if !a.Field(i).CanInterface() {
				return reflect.DeepEqual(a.Interface(), b.Interface())
			}
		}
		for i := range a.NumField() {
			if !equalValues(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

// withRunning returns a copy of next in which every restart-only key has
// its value from running: the configuration actually in effect after a
// reload that cannot apply those keys.
func withRunning(next, running *Config) *Config {
	c := *next
	eachKey(&c, running, func(_ string, hot bool, dst, src reflect.Value) {
		if !hot {
			dst.Set(src)
		}
	})
	return &c
}
