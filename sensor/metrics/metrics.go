package metrics

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tlsentry/tlsentry/detector/exploit"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor/blocklist"
)

// Metrics are the sensor's metrics. The vectors' label values are the
// String() names of the sensor's own enums, so the set stays bounded.
type Metrics struct {
	// Capture, by worker (label "worker": the worker's index).
	Packets *prometheus.CounterVec // tlsentry_packets_total
	Bytes   *prometheus.CounterVec // tlsentry_packet_bytes_total

	// DecodeSkips counts frames that gave no segment, by
	// sensor.SkipReason name (label "reason").
	DecodeSkips *prometheus.CounterVec // tlsentry_decode_skipped_packets_total
	// PacketsCut counts decoded packets whose payload the capture kept
	// only in part (snap length): a rising count means thin verdicts.
	PacketsCut prometheus.Counter // tlsentry_packets_cut_total

	// Flow tables; AddFlowStats feeds these.
	Segments      prometheus.Counter     // tlsentry_tcp_segments_total
	Datagrams     prometheus.Counter     // tlsentry_udp_datagrams_total
	NotQUIC       prometheus.Counter     // tlsentry_udp_not_quic_total
	FlowsOpened   prometheus.Counter     // tlsentry_flows_opened_total
	FlowsEnded    *prometheus.CounterVec // tlsentry_flows_ended_total{end_reason}
	FlowEvictions *prometheus.CounterVec // tlsentry_flow_evictions_total{state="active"|"finished"}
	Reassembly    *prometheus.CounterVec // tlsentry_reassembly_events_total{event}

	// QueueDrops counts items a stage dropped rather than block (labels
	// "queue": the stage's input, "reason").
	QueueDrops *prometheus.CounterVec // tlsentry_queue_dropped_total
	// ScoringQueue is the flows waiting for a scoring worker, of at most
	// ScoringQueueCapacity (a live pipeline sheds beyond it).
	ScoringQueue         prometheus.Gauge // tlsentry_scoring_queue_flows
	ScoringQueueCapacity prometheus.Gauge // tlsentry_scoring_queue_capacity_flows

	// Detector.
	BatchSize        prometheus.Histogram   // tlsentry_score_batch_flows
	ScoreLatency     prometheus.Histogram   // tlsentry_score_latency_seconds
	VerdictLatency   prometheus.Histogram   // tlsentry_verdict_latency_seconds (live: deciding packet to verdict written)
	FlowsScored      prometheus.Counter     // tlsentry_flows_scored_total
	Alerts           prometheus.Counter     // tlsentry_alerts_total
	AlertsSuppressed *prometheus.CounterVec // tlsentry_alerts_suppressed_total{reason}
	// AlertsRateLimited counts alert records the rate limit held back.
	AlertsRateLimited *prometheus.CounterVec // tlsentry_alerts_rate_limited_total{signature_id}
	// Block lists, by kind (label "kind": blocklist.Kinds): the entries
	// loaded, and the flows found on them (allowed or not).
	BlocklistEntries *prometheus.GaugeVec   // tlsentry_blocklist_entries
	BlocklistHits    *prometheus.CounterVec // tlsentry_blocklist_hits_total
	ExploitFindings  *prometheus.CounterVec // tlsentry_exploit_findings_total
	// ContextFacts counts the facts other flows gave a scored flow
	// (sensor/pipeline gather): "rhythm" (its pair is a beacon),
	// "resumed_certificate" (its resumed session's server showed a
	// certificate that failed a check); RecallServers is how many servers'
	// certificates are kept for that.
	ContextFacts  *prometheus.CounterVec
	RecallServers prometheus.Gauge

	// LogWriteErrors counts lines an output failed to write (label "log":
	// "alerts", "flows").
	LogWriteErrors *prometheus.CounterVec // tlsentry_log_write_errors_total
	// LogReopened counts log files found moved or removed without a
	// SIGUSR1 and opened again by name (label "log").
	LogReopened *prometheus.CounterVec // tlsentry_log_reopened_total

	// Config reloads; Reloaded sets them.
	Reloads           prometheus.Counter // tlsentry_config_reloads_total
	ReloadFailures    prometheus.Counter // tlsentry_config_reload_failures_total
	LastReloadSuccess prometheus.Gauge   // tlsentry_config_last_reload_successful
	LastReloadTime    prometheus.Gauge   // tlsentry_config_last_reload_success_timestamp_seconds

	// Beacon is the beacon tracker's (beacon.go).
	Beacon *Beacon

	kernel *kernelCollector
	link   *linkCollector
	model  *modelCollector
	active *funcGauge
	filter *filterCollector
}

// Label values of FlowEvictions and Reassembly.
const (
	EvictedActive   = "active"   // flow handed out early to make room
	EvictedFinished = "finished" // flow already handed out, then forgotten for want of room
	EvictedMemcap   = "memcap"   // flow handed out early for the memory budget (handshake bytes held)
)

var reassemblyEvents = []string{"retransmit", "overlap", "out_of_order", "pending_overflow", "gap", "late_segment", "memcap", "overlap_different_data", "data_without_ack", "data_before_start", "unexpected_signature", "ahead_of_peer", "ahead_given_up"}

// New makes the metrics and registers them, with the build info, on reg.
// It fails if reg already holds metrics of the same names.
func New(reg prometheus.Registerer) (*Metrics, error) {
	counterVec := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	gauge := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	}
	m := &Metrics{
		Packets:     counterVec("tlsentry_packets_total", "Packets the capture workers read.", "worker"),
		Bytes:       counterVec("tlsentry_packet_bytes_total", "Bytes of the packets the capture workers read (captured length).", "worker"),
		DecodeSkips: counterVec("tlsentry_decode_skipped_packets_total", "Packets that gave no TCP segment, by reason.", "reason"),
		PacketsCut:  counter("tlsentry_packets_cut_total", "Decoded packets whose payload the capture kept only in part (a snap length shorter than the packet): the bytes past it are gaps."),

		Segments:      counter("tlsentry_tcp_segments_total", "TCP segments the flow tables processed."),
		Datagrams:     counter("tlsentry_udp_datagrams_total", "UDP datagrams the flow tables processed."),
		NotQUIC:       counter("tlsentry_udp_not_quic_total", "UDP datagrams of no tracked flow that did not start like QUIC (UDP is tracked for QUIC only)."),
		FlowsOpened:   counter("tlsentry_flows_opened_total", "Flows the flow tables opened."),
		FlowsEnded:    counterVec("tlsentry_flows_ended_total", "Flows handed out by the flow tables, by end reason.", "end_reason"),
		FlowEvictions: counterVec("tlsentry_flow_evictions_total", "Flows removed because a flow table was full, by the flow's state.", "state"),
		Reassembly:    counterVec("tlsentry_reassembly_events_total", "TCP reassembly events: retransmits, overlaps, out-of-order segments, buffer overflows, flows with gaps, late segments, out-of-order data given up for the memory budget (memcap), segments that contradicted bytes already received (overlap_different_data), data segments without ACK left out of the stream (data_without_ack), data segments before their stream's first byte (data_before_start), data segments with a TCP signature option their SYN lacked (unexpected_signature), a side's bytes held until the peer bytes their segment acknowledged came (ahead_of_peer: directions merged out of order), such holds given up after a second of waiting (ahead_given_up).", "event"),

		QueueDrops:           counterVec("tlsentry_queue_dropped_total", "Items a pipeline stage dropped instead of blocking, by queue and reason.", "queue", "reason"),
		ScoringQueue:         gauge("tlsentry_scoring_queue_flows", "Flows waiting for a scoring worker."),
		ScoringQueueCapacity: gauge("tlsentry_scoring_queue_capacity_flows", "Most flows that wait for a scoring worker; a live sensor sheds beyond it."),

		BatchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tlsentry_score_batch_flows",
			Help:    "Flows per batch handed to the detector.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11), // 1 .. 1024
		}),
		ScoreLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tlsentry_score_latency_seconds",
			Help:    "Seconds from a batch being closed to its verdicts: queue wait plus scoring.",
			Buckets: prometheus.ExponentialBuckets(100e-6, 2, 16), // 100 µs .. 3.3 s
		}),
		VerdictLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tlsentry_verdict_latency_seconds",
			Help:    "Seconds from the packet that decided a flow (or the end of the silence that did) to its verdict written (live capture, kernel timestamps and wall clock): the table's sweep, batching, queue wait, scoring and the logs.",
			Buckets: prometheus.ExponentialBuckets(1e-3, 2, 16), // 1 ms .. 33 s
		}),
		FlowsScored:       counter("tlsentry_flows_scored_total", "Flows the detector scored."),
		Alerts:            counter("tlsentry_alerts_total", "Alerts written."),
		AlertsSuppressed:  counterVec("tlsentry_alerts_suppressed_total", "Flows over the threshold not alerted on, by allowlist reason.", "reason"),
		AlertsRateLimited: counterVec("tlsentry_alerts_rate_limited_total", "Alert records held back by the rate limit, by signature.", "signature_id"),
		BlocklistEntries: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tlsentry_blocklist_entries",
			Help: "Entries of the block lists in effect, by kind."}, []string{"kind"}),
		BlocklistHits:   counterVec("tlsentry_blocklist_hits_total", "Flows found on a block list, by kind (allowed or not).", "kind"),
		ExploitFindings: counterVec("tlsentry_exploit_findings_total", "Known exploits found in scored flows, by finding (allowed or not).", "finding"),
		ContextFacts:    counterVec("tlsentry_context_facts_total", "Facts other flows gave a scored flow, by kind: rhythm (its pair is a beacon), rhythm_known (its pair is a beacon the model knows from training: no fact given), resumed_certificate (its resumed session's server showed a certificate that failed a check), scan (its server refused hellos of many TLS stacks from its client within the scan window).", "kind"),
		RecallServers:   gauge("tlsentry_recall_servers", "Servers whose certificate (which failed a check) is kept for the sessions they resume."),

		LogWriteErrors: counterVec("tlsentry_log_write_errors_total", "Lines an output failed to write, by log.", "log"),
		LogReopened:    counterVec("tlsentry_log_reopened_total", "Log files found moved or removed without SIGUSR1 and opened again by name, by log.", "log"),

		Reloads:           counter("tlsentry_config_reloads_total", "Config reloads tried."),
		ReloadFailures:    counter("tlsentry_config_reload_failures_total", "Config reloads that failed (the old config stayed)."),
		LastReloadSuccess: gauge("tlsentry_config_last_reload_successful", "Whether the last config reload worked (1) or not (0)."),
		LastReloadTime:    gauge("tlsentry_config_last_reload_success_timestamp_seconds", "Unix time of the last config load or reload that worked."),

		Beacon: newBeacon(),

		kernel: newKernelCollector(),
		link:   newLinkCollector(),
		model:  newModelCollector(),
		active: &funcGauge{desc: prometheus.NewDesc("tlsentry_flows_active",
			"Connections the flow tables track now (collecting, handed out but still open, or just closed), as of each table's last tick (about a second).", nil, nil)},
		filter: newFilterCollector(),
	}
	// Known label values start at zero, so rates work from the first scrape.
	for _, r := range flow.EndReasons() {
		m.FlowsEnded.WithLabelValues(r.String())
	}
	for _, s := range []string{EvictedActive, EvictedFinished, EvictedMemcap} {
		m.FlowEvictions.WithLabelValues(s)
	}
	for _, e := range reassemblyEvents {
		m.Reassembly.WithLabelValues(e)
	}
	for _, k := range blocklist.Kinds {
		m.BlocklistEntries.WithLabelValues(string(k))
		m.BlocklistHits.WithLabelValues(string(k))
	}
	for _, f := range exploit.Findings {
		m.ExploitFindings.WithLabelValues(f)
	}
	for _, k := range []string{ContextRhythm, ContextRhythmKnown, ContextResumed, ContextScan} {
		m.ContextFacts.WithLabelValues(k)
	}
	m.LastReloadSuccess.Set(1) // the config the sensor started with loaded

	cs := []prometheus.Collector{
		m.Packets, m.Bytes, m.DecodeSkips, m.PacketsCut,
		m.Segments, m.Datagrams, m.NotQUIC, m.FlowsOpened, m.FlowsEnded, m.FlowEvictions, m.Reassembly,
		m.QueueDrops, m.ScoringQueue, m.ScoringQueueCapacity,
		m.BatchSize, m.ScoreLatency, m.VerdictLatency, m.FlowsScored, m.Alerts, m.AlertsSuppressed, m.AlertsRateLimited,
		m.BlocklistEntries, m.BlocklistHits, m.ExploitFindings, m.ContextFacts, m.RecallServers,
		m.LogWriteErrors, m.LogReopened,
		m.Reloads, m.ReloadFailures, m.LastReloadSuccess, m.LastReloadTime,
		m.Beacon,
		m.kernel, m.link, m.model, m.active, m.filter, newBuildInfo(),
	}
	for i, c := range cs {
		if err := reg.Register(c); err != nil {
			for _, done := range cs[:i] {
				reg.Unregister(done)
			}
			return nil, fmt.Errorf("metrics: register: %w", err)
		}
	}
	return m, nil
}

// RegisterRuntime adds the Go runtime (go_*) and process (process_*)
// metrics to reg.
func RegisterRuntime(reg prometheus.Registerer) error {
	return errors.Join(
		reg.Register(collectors.NewGoCollector()),
		reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})),
	)
}

// AddFlowStats adds what a flow table did between two snapshots of its
// counters (prev may be the zero Stats). Counters that went down (a new
// table) count from zero.
func (m *Metrics) AddFlowStats(prev, cur *flow.Stats) {
	add := func(c prometheus.Counter, before, after uint64) {
		if after < before {
			before = 0
		}
		if after > before {
			c.Add(float64(after - before))
		}
	}
	add(m.Segments, prev.Segments, cur.Segments)
	add(m.Datagrams, prev.Datagrams, cur.Datagrams)
	add(m.NotQUIC, prev.NotQUIC, cur.NotQUIC)
	add(m.FlowsOpened, prev.FlowsOpened, cur.FlowsOpened)
	for _, r := range flow.EndReasons() {
		add(m.FlowsEnded.WithLabelValues(r.String()), prev.Emitted[r], cur.Emitted[r])
	}
	add(m.FlowEvictions.WithLabelValues(EvictedActive), prev.EvictedActive, cur.EvictedActive)
	add(m.FlowEvictions.WithLabelValues(EvictedFinished), prev.EvictedFinished, cur.EvictedFinished)
	add(m.FlowEvictions.WithLabelValues(EvictedMemcap), prev.MemcapEvictions, cur.MemcapEvictions)
	events := [...][2]uint64{
		{prev.Retransmits, cur.Retransmits},
		{prev.Overlaps, cur.Overlaps},
		{prev.OutOfOrder, cur.OutOfOrder},
		{prev.PendingOverflows, cur.PendingOverflows},
		{prev.Gaps, cur.Gaps},
		{prev.LateSegments, cur.LateSegments},
		{prev.MemcapGiveUps, cur.MemcapGiveUps},
		{prev.OverlapConflicts, cur.OverlapConflicts},
		{prev.NoACKData, cur.NoACKData},
		{prev.DataBeforeStart, cur.DataBeforeStart},
		{prev.UnexpectedSignature, cur.UnexpectedSignature},
		{prev.AheadOfPeer, cur.AheadOfPeer},
		{prev.AheadGivenUp, cur.AheadGivenUp},
	}
	for i, e := range events {
		add(m.Reassembly.WithLabelValues(reassemblyEvents[i]), e[0], e[1])
	}
}

// Reloaded records a config reload tried at time at; err is its result.
func (m *Metrics) Reloaded(err error, at time.Time) {
	m.Reloads.Inc()
	if err != nil {
		m.ReloadFailures.Inc()
		m.LastReloadSuccess.Set(0)
		return
	}
	m.LastReloadSuccess.Set(1)
	m.LastReloadTime.Set(float64(at.UnixNano()) / 1e9)
}

// SetKernelStats sets the function the kernel metrics are read from at
// each scrape, one KernelStats per capture interface; nil removes them.
// fn is called from the HTTP server's goroutines, so it must be safe for
// that.
func (m *Metrics) SetKernelStats(fn func() []KernelStats) { m.kernel.set(fn) }

// KernelStats are one capture interface's ring counters since the sensor
// started, summed over its sockets (PACKET_STATISTICS resets on each
// read: the capture source keeps the totals).
type KernelStats struct {
	Interface    string
	Packets      uint64 // packets the kernel queued to the rings
	Drops        uint64 // packets dropped because a ring was full
	QueueFreezes uint64 // times a TPACKET_V3 ring froze its queue
}

// kernelCollector turns the captures' KernelStats snapshots into
// counters labelled by interface at scrape time.
type kernelCollector struct {
	fn                           atomic.Pointer[func() []KernelStats]
	packets, drops, queueFreezes *prometheus.Desc
}

func newKernelCollector() *kernelCollector {
	label := []string{"interface"}
	return &kernelCollector{
		packets:      prometheus.NewDesc("tlsentry_kernel_packets_total", "Packets the kernel queued to the capture rings of the interface.", label, nil),
		drops:        prometheus.NewDesc("tlsentry_kernel_drops_total", "Packets the kernel dropped because a capture ring of the interface was full.", label, nil),
		queueFreezes: prometheus.NewDesc("tlsentry_kernel_queue_freezes_total", "Times a capture ring of the interface froze its queue.", label, nil),
	}
}

func (k *kernelCollector) set(fn func() []KernelStats) {
	if fn == nil {
		k.fn.Store(nil)
		return
	}
	k.fn.Store(&fn)
}

func (k *kernelCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- k.packets
	ch <- k.drops
	ch <- k.queueFreezes
}

func (k *kernelCollector) Collect(ch chan<- prometheus.Metric) {
	fn := k.fn.Load()
	if fn == nil {
		return
	}
	for _, s := range (*fn)() {
		ch <- constMetric(k.packets, prometheus.CounterValue, float64(s.Packets), s.Interface)
		ch <- constMetric(k.drops, prometheus.CounterValue, float64(s.Drops), s.Interface)
		ch <- constMetric(k.queueFreezes, prometheus.CounterValue, float64(s.QueueFreezes), s.Interface)
	}
}

// SetBlocklistEntries sets the entries gauge of each kind from the lists
// in effect (nil: none).
func (m *Metrics) SetBlocklistEntries(l *blocklist.Lists) {
	for _, k := range blocklist.Kinds {
		m.BlocklistEntries.WithLabelValues(string(k)).Set(float64(l.Len(k)))
	}
}

// Label values of ContextFacts.
const (
	ContextRhythm      = "rhythm"
	ContextRhythmKnown = "rhythm_known" // a beacon's flow the model knows: no fact
	ContextResumed     = "resumed_certificate"
	ContextScan        = "scan" // a hello of a scan (detector/scan)
)
