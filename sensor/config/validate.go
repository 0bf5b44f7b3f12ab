package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Validate checks every value of c against its range and the values
// against each other. It does not require capture interfaces (a config
// for replaying capture files needs none); ValidateLive does. The errors
// name the line of the file c was parsed from, when there was one.
func (c *Config) Validate() error {
	l := errorList{src: c.src}
	c.check(&l)
	return l.err()
}

// ValidateLive is Validate plus what live capture needs: at least one
// interface.
func (c *Config) ValidateLive() error {
	l := errorList{src: c.src}
	c.check(&l)
	if len(c.Capture.Interfaces) == 0 {
		l.add("capture.interfaces", "live capture needs at least one interface")
	}
	return l.err()
}

// set reports whether the file c came from gave the key at path.
func (c *Config) set(path string) bool {
	if c.src == nil {
		return false
	}
	_, ok := c.src.lines[path]
	return ok
}

func (c *Config) check(l *errorList) {
	checkSensor(l, c.Sensor)
	checkCapture(l, c.Capture)
	checkFlow(l, c.Flow)
	c.checkDetector(l)
	checkAllowlist(l, c.Allowlist)
	checkOutput(l, c.Output)
	checkListen(l, "metrics.listen", c.Metrics.Listen, true)
}

// intRange checks lo <= v <= hi.
func intRange(l *errorList, path string, v, lo, hi int) {
	if v < lo || v > hi {
		l.add(path, "%d is out of range (%d-%d)", v, lo, hi)
	}
}

// durationRange checks lo <= v <= hi.
func durationRange(l *errorList, path string, v, lo, hi time.Duration) {
	if v < lo || v > hi {
		l.add(path, "%s is out of range (%s-%s)", shortDuration(v), shortDuration(lo), shortDuration(hi))
	}
}

// shortDuration writes 24h rather than 24h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func checkSensor(l *errorList, s Sensor) {
	switch {
	case s.Name == "":
		l.add("sensor.name", "must not be empty (leave the key out for the host name)")
	case len(s.Name) > 255:
		l.add("sensor.name", "longer than 255 bytes")
	case strings.ContainsFunc(s.Name, func(r rune) bool { return !unicode.IsPrint(r) || r == unicode.ReplacementChar }):
		l.add("sensor.name", "%q has characters that are not printable", s.Name)
	}
}

func checkCapture(l *errorList, c Capture) {
	seenIf := map[string]bool{}
	for i, name := range c.Interfaces {
		p := fmt.Sprintf("capture.interfaces[%d]", i)
		switch {
		case !validInterfaceName(name):
			l.add(p, "%q is not an interface name (1-15 characters, no '/', ':' or spaces)", name)
		case seenIf[name]:
			l.add(p, "%q is listed twice", name)
		}
		seenIf[name] = true
	}
	if len(c.Ports) == 0 {
		l.add("capture.ports", "at least one port is needed")
	}
	seenPort := map[int]bool{}
	for i, port := range c.Ports {
		p := fmt.Sprintf("capture.ports[%d]", i)
		switch {
		case port < 1 || port > 65535:
			l.add(p, "%d is not a port (1-65535)", port)
		case seenPort[port]:
			l.add(p, "%d is listed twice", port)
		}
		seenPort[port] = true
	}
	intRange(l, "capture.workers", c.Workers, 1, MaxWorkers)
	intRange(l, "capture.ring_size_mb", c.RingSizeMB, 1, 4096)
	bs := c.BlockSizeKB
	switch {
	case bs < 4 || bs > 16384 || bs&(bs-1) != 0:
		l.add("capture.block_size_kb", "%d is not a power of two from 4 to 16384", bs)
	case c.RingSizeMB >= 1 && (c.RingSizeMB<<10)%bs != 0:
		l.add("capture.ring_size_mb", "%d MB is not a whole number of %d KB blocks (capture.block_size_kb)", c.RingSizeMB, bs)
	}
	durationRange(l, "capture.block_timeout", c.BlockTimeout, time.Millisecond, 10*time.Second)
	intRange(l, "capture.bpf_map_entries", c.BPFMapEntries, 1024, 1<<24)
	intRange(l, "capture.bpf_budget_bytes", c.BPFBudgetBytes, 1024, 1<<24)
}

// validInterfaceName applies the kernel's dev_valid_name rules.
func validInterfaceName(s string) bool {
	if s == "" || len(s) > 15 || s == "." || s == ".." {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool {
		return r == '/' || r == ':' || unicode.IsSpace(r) || r < 0x20 || r >= 0x7f
	})
}

func checkFlow(l *errorList, f Flow) {
	before := len(l.errs) + l.more
	intRange(l, "flow.max_flows", f.MaxFlows, 1, 1<<24)
	durationRange(l, "flow.idle_timeout", f.IdleTimeout, time.Second, 24*time.Hour)
	durationRange(l, "flow.max_age", f.MaxAge, time.Second, 24*time.Hour)
	durationRange(l, "flow.closed_timeout", f.ClosedTimeout, time.Second, 24*time.Hour)
	intRange(l, "flow.handshake_limit", f.HandshakeLimit, 512, 1<<20)
	intRange(l, "flow.scan_limit", f.ScanLimit, 0, 1<<20)
	intRange(l, "flow.max_pending", f.MaxPending, 1500, 1<<24)
	// The flow package has the last word; its rules are within ours, so
	// this only speaks if the two drift apart.
	if len(l.errs)+l.more == before {
		if err := f.TableConfig().Validate(); err != nil {
			l.add("flow", "%v", err)
		}
	}
}

// MaxThreshold bounds detector.threshold: isolation forest scores are
// below 1 and VAE reconstruction distances below 32 (sqrt of 1024 pixels).
const MaxThreshold = 1000

func (c *Config) checkDetector(l *errorList) {
	d := c.Detector
	tSet := d.Threshold != 0 || c.set("detector.threshold")
	rSet := d.AlertRate != 0 || c.set("detector.alert_rate")
	if tSet && !(d.Threshold > 0 && d.Threshold <= MaxThreshold) {
		l.add("detector.threshold", "%s is out of range (more than 0, at most %d; leave the key out for the model's)",
			strconv.FormatFloat(d.Threshold, 'g', -1, 64), MaxThreshold)
	}
	if rSet && !(d.AlertRate > 0 && d.AlertRate < 0.5) {
		l.add("detector.alert_rate", "%s is out of range (more than 0, less than 0.5)",
			strconv.FormatFloat(d.AlertRate, 'g', -1, 64))
	}
	if tSet && rSet {
		l.add("detector.alert_rate", "set detector.threshold or detector.alert_rate, not both")
	}
	if strings.ContainsRune(d.Model, 0) {
		l.add("detector.model", "%q is not a file path", d.Model)
	}
	intRange(l, "detector.batch_size", d.BatchSize, 1, 65536)
	durationRange(l, "detector.batch_timeout", d.BatchTimeout, time.Millisecond, time.Minute)
	intRange(l, "detector.queue_size", d.QueueSize, 1, 1<<20)
	intRange(l, "detector.scoring_workers", d.ScoringWorkers, 1, MaxWorkers)
}

func checkOutput(l *errorList, o Output) {
	switch {
	case o.AlertLog == "" && !o.Stdout:
		l.add("output.alert_log", "must not be empty unless output.stdout is true (alerts must go somewhere)")
	case o.AlertLog != "" && o.AlertLog == o.FlowLog:
		l.add("output.flow_log", "%q is also output.alert_log", o.FlowLog)
	}
	if o.Log != "" && (o.Log == o.AlertLog || o.Log == o.FlowLog) {
		l.add("output.log", "%q is also where alerts or flows go", o.Log)
	}
	for _, p := range []struct{ path, v string }{
		{"output.alert_log", o.AlertLog}, {"output.flow_log", o.FlowLog}, {"output.log", o.Log},
	} {
		if strings.ContainsRune(p.v, 0) || strings.HasSuffix(p.v, "/") {
			l.add(p.path, "%q is not a file path", p.v)
		}
	}
	intRange(l, "output.rotate_size_mb", o.RotateSizeMB, 0, 1<<20)
	durationRange(l, "output.rotate_age", o.RotateAge, 0, 366*24*time.Hour)
	intRange(l, "output.max_backups", o.MaxBackups, 0, 10000)
	if !knownLevel(o.LogLevel) {
		l.add("output.log_level", "%q is not a log level (debug, info, warn or error)", o.LogLevel)
	}
}

func knownLevel(s string) bool {
	for _, lv := range LogLevels {
		if s == lv {
			return true
		}
	}
	return false
}

// checkListen checks a host:port listen address; empty is allowed when
// emptyOK (the endpoint is off).
func checkListen(l *errorList, path, addr string, emptyOK bool) {
	if addr == "" {
		if !emptyOK {
			l.add(path, "must not be empty")
		}
		return
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		l.add(path, "%q is not a listen address (host:port, like 127.0.0.1:9560 or :9560)", addr)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		l.add(path, "%q: port %q is not a number from 1 to 65535", addr, port)
	}
}
