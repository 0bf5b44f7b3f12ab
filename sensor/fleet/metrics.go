package fleet

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics report what a sensor runs of its fleet's revisions. Label
// "key" is a Kind.
type Metrics struct {
	Revision *prometheus.GaugeVec   // tlsentry_fleet_revision{key}: revision in effect (0: none, the file's)
	Applied  *prometheus.CounterVec // tlsentry_fleet_applied_total{key}
	Refused  *prometheus.CounterVec // tlsentry_fleet_refused_total{key}
}

// NewMetrics makes the metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		Revision: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tlsentry_fleet_revision",
			Help: "Fleet revision in effect, by key (settings, sensor_settings, model); 0: none, the sensor's own file."}, []string{"key"}),
		Applied: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tlsentry_fleet_applied_total",
			Help: "Fleet revisions applied, by key."}, []string{"key"}),
		Refused: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tlsentry_fleet_refused_total",
			Help: "Fleet revisions refused (the running one stays), by key."}, []string{"key"}),
	}
	for _, c := range []prometheus.Collector{m.Revision, m.Applied, m.Refused} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("fleet: metrics: %w", err)
		}
	}
	for _, k := range Kinds() {
		m.Revision.WithLabelValues(string(k))
		m.Applied.WithLabelValues(string(k))
		m.Refused.WithLabelValues(string(k))
	}
	return m, nil
}

// Result records what became of a revision.
func (m *Metrics) Result(r Revision, err error) {
	k := string(r.Kind)
	if err != nil {
		m.Refused.WithLabelValues(k).Inc()
		return
	}
	m.Applied.WithLabelValues(k).Inc()
	rev := float64(r.Revision)
	if r.Removed {
		rev = 0
	}
	m.Revision.WithLabelValues(k).Set(rev)
}
