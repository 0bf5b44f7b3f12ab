package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// LinkStats is one capture interface's link since the sensor started.
type LinkStats struct {
	Interface   string
	Up          bool    // up with a carrier, and the capture's sockets open on it
	Flaps       uint64  // times it stopped being up
	DownSeconds float64 // time it was not up
	Reopens     uint64  // times the capture opened its sockets again (the interface was made again, or a socket failed)
}

// SetLinkStats sets the function the link metrics are read from at each
// scrape; nil removes them. fn is called from the HTTP server's
// goroutines, so it must be safe for that.
func (m *Metrics) SetLinkStats(fn func() []LinkStats) { m.link.set(fn) }

// linkCollector turns the captures' link snapshots into metrics labelled
// by interface at scrape time.
type linkCollector struct {
	fn                       atomic.Pointer[func() []LinkStats]
	up, flaps, down, reopens *prometheus.Desc
}

func newLinkCollector() *linkCollector {
	label := []string{"interface"}
	return &linkCollector{
		up:      prometheus.NewDesc("tlsentry_capture_link_up", "Whether the capture interface is up with a carrier and captured on (1) or not (0: down, without carrier, absent, or its sockets being opened again).", label, nil),
		flaps:   prometheus.NewDesc("tlsentry_capture_link_flaps_total", "Times the capture interface stopped being up.", label, nil),
		down:    prometheus.NewDesc("tlsentry_capture_link_down_seconds_total", "Seconds the capture interface was not up since the sensor started.", label, nil),
		reopens: prometheus.NewDesc("tlsentry_capture_reopens_total", "Times the capture opened its sockets again (the interface was made again, or a socket failed).", label, nil),
	}
}

func (l *linkCollector) set(fn func() []LinkStats) {
	if fn == nil {
		l.fn.Store(nil)
		return
	}
	l.fn.Store(&fn)
}

func (l *linkCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- l.up
	ch <- l.flaps
	ch <- l.down
	ch <- l.reopens
}

func (l *linkCollector) Collect(ch chan<- prometheus.Metric) {
	fn := l.fn.Load()
	if fn == nil {
		return
	}
	for _, s := range (*fn)() {
		up := 0.0
		if s.Up {
			up = 1
		}
		for _, c := range []struct {
			d *prometheus.Desc
			t prometheus.ValueType
			v float64
		}{
			{l.up, prometheus.GaugeValue, up},
			{l.flaps, prometheus.CounterValue, float64(s.Flaps)},
			{l.down, prometheus.CounterValue, s.DownSeconds},
			{l.reopens, prometheus.CounterValue, float64(s.Reopens)},
		} {
			m, err := prometheus.NewConstMetric(c.d, c.t, c.v, s.Interface)
			if err != nil {
				m = prometheus.NewInvalidMetric(c.d, err)
			}
			ch <- m
		}
	}
}
