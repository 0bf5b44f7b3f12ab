package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Beacon are the beacon tracker's metrics (detector/beacon): the pipeline
// sets them from the tracker's counts after each batch (Set).
type Beacon struct {
	Pairs          prometheus.Gauge       // tlsentry_beacon_pairs
	Destinations   prometheus.Gauge       // tlsentry_beacon_destinations
	Events         prometheus.Counter     // tlsentry_beacon_events_total
	PairEvictions  prometheus.Counter     // tlsentry_beacon_pair_evictions_total
	Findings       *prometheus.CounterVec // tlsentry_beacon_findings_total{kind="new"|"update"}
	AlertsWritten  prometheus.Counter     // tlsentry_beacon_alerts_total
	AlertsAllowed  prometheus.Counter     // tlsentry_beacon_allowlisted_total
	collectors     []prometheus.Collector
	events, evicts uint64
	found, updated uint64
}

// Label values of Beacon.Findings.
const (
	BeaconNew    = "new"    // a pair's first finding in its window
	BeaconUpdate = "update" // the updated counts of a pair already reported
)

func newBeacon() *Beacon {
	b := &Beacon{
		Pairs:         prometheus.NewGauge(prometheus.GaugeOpts{Name: "tlsentry_beacon_pairs", Help: "Client and destination pairs the beacon tracker follows now (bounded by beacon.max_pairs)."}),
		Destinations:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "tlsentry_beacon_destinations", Help: "Destinations whose distinct clients the beacon tracker counts now (prevalence)."}),
		Events:        prometheus.NewCounter(prometheus.CounterOpts{Name: "tlsentry_beacon_events_total", Help: "Finished flows the beacon tracker took."}),
		PairEvictions: prometheus.NewCounter(prometheus.CounterOpts{Name: "tlsentry_beacon_pair_evictions_total", Help: "Pairs the beacon tracker dropped to make room for new ones."}),
		Findings:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tlsentry_beacon_findings_total", Help: "Beacon findings: a pair's first in its window (new) and its updated counts (update), before the allowlist and rate limit."}, []string{"kind"}),
		AlertsWritten: prometheus.NewCounter(prometheus.CounterOpts{Name: "tlsentry_beacon_alerts_total", Help: "Periodic-connections alert records written (the allowlist and rate limit let them through)."}),
		AlertsAllowed: prometheus.NewCounter(prometheus.CounterOpts{Name: "tlsentry_beacon_allowlisted_total", Help: "Beacon findings the allowlist let off (no alert)."}),
	}
	b.Findings.WithLabelValues(BeaconNew)
	b.Findings.WithLabelValues(BeaconUpdate)
	b.collectors = []prometheus.Collector{b.Pairs, b.Destinations, b.Events, b.PairEvictions, b.Findings, b.AlertsWritten, b.AlertsAllowed}
	return b
}

// BeaconCounts are the tracker's counts since it was made.
type BeaconCounts struct {
	Pairs, Destinations                      int
	Events, PairEvictions, Findings, Updates uint64
}

// Set brings the metrics up to the tracker's counts. One goroutine at a
// time calls it (the pipeline's committer).
func (b *Beacon) Set(c BeaconCounts) {
	b.Pairs.Set(float64(c.Pairs))
	b.Destinations.Set(float64(c.Destinations))
	grow := func(m prometheus.Counter, last *uint64, now uint64) {
		if now > *last {
			m.Add(float64(now - *last))
		}
		*last = now
	}
	grow(b.Events, &b.events, c.Events)
	grow(b.PairEvictions, &b.evicts, c.PairEvictions)
	grow(b.Findings.WithLabelValues(BeaconNew), &b.found, c.Findings)
	grow(b.Findings.WithLabelValues(BeaconUpdate), &b.updated, c.Updates)
}

// Describe and Collect make the beacon metrics one collector.
func (b *Beacon) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range b.collectors {
		c.Describe(ch)
	}
}

func (b *Beacon) Collect(ch chan<- prometheus.Metric) {
	for _, c := range b.collectors {
		c.Collect(ch)
	}
}
