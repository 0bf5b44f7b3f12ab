package natsout

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the output's Prometheus metrics. Label "type" is the
// record type (alert, flow), "reason" a Drop* reason.
type Metrics struct {
	Published   *prometheus.CounterVec // tlsentry_nats_published_total{type}: sent to the server (first sends)
	Resent      prometheus.Counter     // tlsentry_nats_resent_total: sent again after a lost acknowledgement
	Acked       *prometheus.CounterVec // tlsentry_nats_acked_total{type}: stored by the stream
	Duplicates  prometheus.Counter     // tlsentry_nats_duplicates_total: acknowledged as already stored (a resend)
	Spooled     *prometheus.CounterVec // tlsentry_nats_spooled_total{type}: written to the spool
	Replayed    *prometheus.CounterVec // tlsentry_nats_replayed_total{type}: sent from the spool
	Dropped     *prometheus.CounterVec // tlsentry_nats_dropped_total{type,reason}
	InFlight    prometheus.Gauge       // tlsentry_nats_in_flight: sent, not yet acknowledged
	Queued      prometheus.Gauge       // tlsentry_nats_queued: waiting in memory for the publisher
	SpoolBytes  prometheus.Gauge       // tlsentry_nats_spool_bytes
	SpoolRecs   prometheus.Gauge       // tlsentry_nats_spool_records
	AckLatency  prometheus.Gauge       // tlsentry_nats_last_ack_latency_seconds
	AckSeconds  prometheus.Histogram   // tlsentry_nats_ack_latency_seconds
	Connected   prometheus.Gauge       // tlsentry_nats_connected: 1 while connected
	StreamError prometheus.Counter     // tlsentry_nats_stream_errors_total: refusals by the server (no stream, limits)

	// The counters of each kind, looked up once (a label lookup per
	// record costs more than the count).
	kinds [numKinds]kindCounters
}

type kindCounters struct {
	published, acked, spooled, replayed prometheus.Counter
}

// NewMetrics makes the metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	cv := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	c := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	g := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	}
	m := &Metrics{
		Published:  cv("tlsentry_nats_published_total", "Records sent to the NATS server (first sends), by type.", "type"),
		Resent:     c("tlsentry_nats_resent_total", "Records sent again after their acknowledgement was lost (server away, timeout)."),
		Acked:      cv("tlsentry_nats_acked_total", "Records the stream acknowledged, by type.", "type"),
		Duplicates: c("tlsentry_nats_duplicates_total", "Resent records the stream already had (its duplicate window dropped the copy)."),
		Spooled:    cv("tlsentry_nats_spooled_total", "Records written to the on-disk spool (server away or slow), by type.", "type"),
		Replayed:   cv("tlsentry_nats_replayed_total", "Records sent from the spool, by type.", "type"),
		Dropped:    cv("tlsentry_nats_dropped_total", "Records given up, by type and reason (spool_full, too_large, corrupt, spool_error, closed).", "type", "reason"),
		InFlight:   g("tlsentry_nats_in_flight", "Records sent and not yet acknowledged."),
		Queued:     g("tlsentry_nats_queued", "Records waiting in memory for the publisher."),
		SpoolBytes: g("tlsentry_nats_spool_bytes", "Bytes of records in the spool."),
		SpoolRecs:  g("tlsentry_nats_spool_records", "Records in the spool."),
		AckLatency: g("tlsentry_nats_last_ack_latency_seconds", "Time from send to acknowledgement of the last record acknowledged."),
		AckSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tlsentry_nats_ack_latency_seconds",
			Help: "Time from send to acknowledgement.", Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10)}),
		Connected:   g("tlsentry_nats_connected", "1 while connected to a NATS server."),
		StreamError: c("tlsentry_nats_stream_errors_total", "Sends the server refused (no stream for the subject, stream limits); the records wait and are sent again."),
	}
	for _, col := range []prometheus.Collector{m.Published, m.Resent, m.Acked, m.Duplicates, m.Spooled, m.Replayed, m.Dropped,
		m.InFlight, m.Queued, m.SpoolBytes, m.SpoolRecs, m.AckLatency, m.AckSeconds, m.Connected, m.StreamError} {
		if err := reg.Register(col); err != nil {
			return nil, fmt.Errorf("natsout: metrics: %w", err)
		}
	}
	for k := range numKinds {
		t := kind(k).String()
		m.kinds[k] = kindCounters{published: m.Published.WithLabelValues(t), acked: m.Acked.WithLabelValues(t),
			spooled: m.Spooled.WithLabelValues(t), replayed: m.Replayed.WithLabelValues(t)}
		for _, r := range []string{DropSpoolFull, DropTooLarge, DropCorrupt, DropSpoolIO, DropClosed} {
			m.Dropped.WithLabelValues(t, r)
		}
	}
	return m, nil
}
