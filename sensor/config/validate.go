package config

import (
	"fmt"
	"net"
	"reflect"
	"strconv"
	"strings"
	"unicode"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/bounds"
	"github.com/tlsentry/tlsentry/sensor/afpacket"
	"github.com/tlsentry/tlsentry/sensor/allowlist"
	"github.com/tlsentry/tlsentry/sensor/blocklist"
	"github.com/tlsentry/tlsentry/sensor/fleet"
	"github.com/tlsentry/tlsentry/sensor/natsout"
	"github.com/tlsentry/tlsentry/sensor/ratelimit"
	"github.com/tlsentry/tlsentry/sensor/verdict"
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
		l.add("capture.interfaces", "live capture needs at least one interface: set it to the one that receives the span or mirror traffic, e.g. [eth1]")
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
	c.checkCapture(l)
	l.owner(c.Flow.Validate(), keysOf("flow", reflect.TypeFor[flow.Config]()))
	c.checkDetector(l)
	l.owner(c.Allowlist.Validate(), keysOf("allowlist", reflect.TypeFor[allowlist.Config]()))
	l.owner(c.Blocklist.Validate(), keysOf("blocklist", reflect.TypeFor[blocklist.Config]()))
	l.owner(c.Alerts.Validate(), keysOf("alerts", reflect.TypeFor[ratelimit.Config]()))
	c.checkBeacon(l)
	c.checkScan(l)
	c.checkOutput(l)
	checkListen(l, "metrics.listen", c.Metrics.Listen, true)
	l.owner(c.Fleet.Validate(), keysOf("fleet", reflect.TypeFor[fleet.Config]()))
	c.crossCheck(l)
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

// captureKeys maps afpacket.Config's and bpf.Config's fields to their
// keys: the sizes are in MB and KB here, in bytes there.
func captureKeys(cp Capture) map[string]key {
	return map[string]key{
		"Workers":      {path: "capture.workers"},
		"RingBytes":    {path: "capture.ring_size_mb", scale: 1 << 20, value: cp.RingSizeMB},
		"BlockSize":    {path: "capture.block_size_kb", scale: 1 << 10, value: cp.BlockSizeKB},
		"BlockTimeout": {path: "capture.block_timeout"},
		"Ports":        {}, // checked above, as the file has them
		"MapEntries":   {path: "capture.bpf_map_entries"},
		"ClientBudget": {path: "capture.bpf_budget_bytes"},
		"ServerBudget": {}, // the same key as ClientBudget: said once
		"UDPPackets":   {path: "capture.bpf_budget_packets"},
	}
}

func (c *Config) checkCapture(l *errorList) {
	cp := c.Capture
	seenIf := map[string]bool{}
	for i, name := range cp.Interfaces {
		p := fmt.Sprintf("capture.interfaces[%d]", i)
		if msg := afpacket.InterfaceNameProblem(name); msg != "" {
			l.add(p, "%q %s", name, msg)
		} else if seenIf[name] {
			l.add(p, "%q is listed twice", name)
		}
		seenIf[name] = true
	}
	seenPort := map[int]bool{}
	for i, port := range cp.Ports {
		p := fmt.Sprintf("capture.ports[%d]", i)
		switch {
		case port < 1 || port > 65535:
			l.add(p, "%d is not a port (1-65535)", port)
		case seenPort[port]:
			l.add(p, "%d is listed twice", port)
		}
		seenPort[port] = true
	}
	keys := captureKeys(cp)
	if len(cp.Ports) == 0 {
		l.add("capture.ports", "at least one port is needed")
	}
	l.owner(cp.AFPacket("").Validate(), keys)
	l.owner(cp.Filter().Validate(), keys)
}

// AlertRates bounds detector.alert_rate. 0.5 is in: every model stores
// its training scores' median (quantile 0.5), which thresholdForRate
// takes for rate 0.5, though training itself refuses that rate
// (detector.Share).
var AlertRates = bounds.Interval{Lo: 0, Hi: 0.5, LoOpen: true}

// MaxThreshold bounds detector.threshold (verdict.MaxThreshold).
const MaxThreshold = verdict.MaxThreshold

func (c *Config) checkDetector(l *errorList) {
	d := c.Detector
	tSet := d.Threshold != 0 || c.set("detector.threshold")
	rSet := d.AlertRate != 0 || c.set("detector.alert_rate")
	if tSet && verdict.CheckThreshold(d.Threshold) != nil {
		l.add("detector.threshold", "%s is out of range (more than 0, at most %d; leave the key out for the model's)",
			strconv.FormatFloat(d.Threshold, 'g', -1, 64), MaxThreshold)
	}
	if rSet && !AlertRates.Contains(d.AlertRate) {
		l.add("detector.alert_rate", "%s is out of range (%s)",
			strconv.FormatFloat(d.AlertRate, 'g', -1, 64), AlertRates)
	}
	if tSet && rSet {
		l.add("detector.alert_rate", "set detector.threshold or detector.alert_rate, not both")
	}
	if strings.ContainsRune(d.Model, 0) {
		l.add("detector.model", "%q is not a file path", d.Model)
	}
	l.owner(d.Tuning().Validate(), map[string]key{
		"BatchSize":    {path: "detector.batch_size"},
		"BatchTimeout": {path: "detector.batch_timeout"},
		"QueueSize":    {path: "detector.queue_size"},
		"Workers":      {path: "detector.scoring_workers"},
	})
}

func (c *Config) checkOutput(l *errorList) {
	o := c.Output
	switch {
	case o.AlertLog == "" && !o.Stdout:
		l.add("output.alert_log", "must not be empty unless output.stdout is true (alerts must go somewhere)")
	case o.AlertLog != "" && o.AlertLog == o.FlowLog:
		l.add("output.flow_log", "%q is also output.alert_log", o.FlowLog)
	}
	if o.TLSLog != "" && (o.TLSLog == o.AlertLog || o.TLSLog == o.FlowLog) {
		l.add("output.tls_log", "%q is also where alerts or flows go", o.TLSLog)
	}
	if o.Log != "" && (o.Log == o.AlertLog || o.Log == o.FlowLog || o.Log == o.TLSLog) {
		l.add("output.log", "%q is also where alerts, flows or tls records go", o.Log)
	}
	for _, p := range []struct{ path, v string }{
		{"output.alert_log", o.AlertLog}, {"output.flow_log", o.FlowLog}, {"output.tls_log", o.TLSLog}, {"output.log", o.Log},
	} {
		if strings.ContainsRune(p.v, 0) || strings.HasSuffix(p.v, "/") {
			l.add(p.path, "%q is not a file path", p.v)
		}
	}
	if o.AlertPcapDir != "" {
		l.owner(o.Pcaps().Validate(), map[string]key{
			"Dir":      {path: "output.alert_pcap_dir"},
			"MaxBytes": {path: "output.alert_pcap_max_mb", scale: 1 << 20, value: o.AlertPcapMaxMB},
		})
	}
	l.owner(o.Rotation().Validate(), map[string]key{
		"MaxBytes":   {path: "output.rotate_size_mb", scale: 1 << 20, value: o.RotateSizeMB},
		"MaxAge":     {path: "output.rotate_age"},
		"MaxBackups": {path: "output.max_backups"},
	})
	if !knownLevel(o.LogLevel) {
		l.add("output.log_level", "%q is not a log level (debug, info, warn or error)", o.LogLevel)
	}
	if o.IncludeHandshake && !o.IncludePrefix {
		l.add("output.include_handshake", "needs output.include_prefix: training needs the prefix too")
	}
	l.owner(o.NATS.Validate(), keysOf("output.nats", reflect.TypeFor[natsout.Config]()))
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

// crossCheck checks bounds that span packages: they are kept here, in one
// place.
func (c *Config) crossCheck(l *errorList) {
	if c.Fleet.Watch && !c.Output.NATS.Enabled() {
		l.add("fleet.watch", "needs output.nats.servers: the fleet's buckets are on the NATS servers")
	}
	// The filter must pass what the flow table keeps of each direction:
	// the prefix and the handshake.
	need := flow.PrefixSize + c.Flow.HandshakeLimit
	if c.Capture.BPF && c.Capture.BPFBudgetBytes < need && c.Capture.BPFBudgetBytes > 0 {
		l.add("capture.bpf_budget_bytes", "%d is less than the flow table keeps per direction (%d: the %d-byte prefix plus flow.handshake_limit %d); the filter would keep handshake bytes in the kernel",
			c.Capture.BPFBudgetBytes, need, flow.PrefixSize, c.Flow.HandshakeLimit)
	}
}

// key is where an owner's field is in the file: its path, and for sizes
// kept in bigger units here, the scale (bytes per unit) and the file's
// value.
type key struct {
	path  string
	scale int64
	value any
}

// keysOf maps the fields of an owner's config type, embedded as section,
// to their keys by their yaml tags.
func keysOf(section string, t reflect.Type) map[string]key {
	keys := map[string]key{}
	for _, f := range fieldsOf(t) {
		keys[t.Field(f.index).Name] = key{path: section + "." + f.key}
	}
	return keys
}

// owner adds the problems an owner's Validate found (*bounds.Error each)
// at their keys, in the file's units. A field mapped to no path is left
// out (said under another key).
func (l *errorList) owner(err error, keys map[string]key) {
	if err == nil {
		return
	}
	fields := bounds.Fields(err)
	if len(fields) == 0 {
		l.add("", "%v", err)
		return
	}
	for _, e := range fields {
		name, index, _ := strings.Cut(e.Field, "[")
		k, ok := keys[name]
		if ok && k.path == "" {
			continue
		}
		path := k.path
		if !ok {
			path = e.Field
		} else if index != "" {
			path += "[" + index
		}
		msg := e.Msg
		if r := e.Range; r != nil && k.scale > 1 && k.value != nil {
			lo := (r.Min + k.scale - 1) / k.scale
			msg = fmt.Sprintf("%v is out of range (%d-%d)", k.value, lo, r.Max/k.scale)
		}
		l.add(path, "%s", msg)
	}
}
