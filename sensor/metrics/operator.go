package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// ModelInfo names the model the sensor scores with, for
// tlsentry_model_info.
type ModelInfo struct {
	ID     string // the model file's id
	Name   string // how verdicts name it: kind/id
	Kind   string // hybrid, cnn-iforest, vae
	Layout string // the prefix layout it was trained on
}

// SetModel sets the model in effect and its threshold (in the model's
// own units). Info and threshold change together, so a scrape never pairs
// one model with another's threshold.
func (m *Metrics) SetModel(info ModelInfo, threshold float64) {
	m.model.state.Store(&modelState{info: info, threshold: threshold})
}

// SetThreshold sets the threshold of the model in effect (a reload that
// kept the model).
func (m *Metrics) SetThreshold(threshold float64) {
	cur := m.model.state.Load()
	if cur == nil {
		cur = &modelState{}
	}
	next := *cur
	next.threshold = threshold
	m.model.state.Store(&next)
}

type modelState struct {
	info      ModelInfo
	threshold float64
}

// modelCollector is tlsentry_model_info and tlsentry_model_threshold,
// both absent until SetModel.
type modelCollector struct {
	state           atomic.Pointer[modelState]
	info, threshold *prometheus.Desc
}

func newModelCollector() *modelCollector {
	return &modelCollector{
		info: prometheus.NewDesc("tlsentry_model_info",
			"The model the sensor scores with (always 1): its file's id, its name in verdicts, its kind and prefix layout.",
			[]string{"id", "name", "kind", "layout"}, nil),
		threshold: prometheus.NewDesc("tlsentry_model_threshold",
			"The alert threshold in effect, in the model's own units (bits for a hybrid model).", nil, nil),
	}
}

func (c *modelCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.info
	ch <- c.threshold
}

func (c *modelCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.state.Load()
	if s == nil {
		return
	}
	if s.info.Name != "" {
		ch <- constMetric(c.info, prometheus.GaugeValue, 1, s.info.ID, s.info.Name, s.info.Kind, s.info.Layout)
	}
	ch <- constMetric(c.threshold, prometheus.GaugeValue, s.threshold)
}

// SetActiveFlows sets the function tlsentry_flows_active is read from at
// each scrape; nil removes it. fn is called from the HTTP server's
// goroutines, so it must be safe for that (and cheap).
func (m *Metrics) SetActiveFlows(fn func() int) { m.active.set(fn) }

// funcGauge is a gauge read from a function at scrape time, present only
// while a function is set.
type funcGauge struct {
	fn   atomic.Pointer[func() int]
	desc *prometheus.Desc
}

func (g *funcGauge) set(fn func() int) {
	if fn == nil {
		g.fn.Store(nil)
		return
	}
	g.fn.Store(&fn)
}

func (g *funcGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *funcGauge) Collect(ch chan<- prometheus.Metric) {
	if fn := g.fn.Load(); fn != nil {
		ch <- constMetric(g.desc, prometheus.GaugeValue, float64((*fn)()))
	}
}

// FilterStats are the eBPF socket filter's counters since it was loaded,
// summed over CPUs (bpf.Stats).
type FilterStats struct {
	Passed     uint64 // handed to the capture sockets
	NotWatched uint64 // neither port watched, or not TCP/UDP over IP
	Fragment   uint64 // IP fragments
	Malformed  uint64 // truncated or inconsistent headers
	OverBudget uint64 // past their flow's byte budget: kept in the kernel
}

// SetFilterStats sets the function the eBPF filter's metrics are read
// from at each scrape; nil removes them. A read that fails gives an
// invalid metric (the scrape reports it). fn is called from the HTTP
// server's goroutines.
func (m *Metrics) SetFilterStats(fn func() (FilterStats, error)) {
	if fn == nil {
		m.filter.fn.Store(nil)
		return
	}
	m.filter.fn.Store(&fn)
}

// filterCollector is tlsentry_bpf_packets_total{result}.
type filterCollector struct {
	fn      atomic.Pointer[func() (FilterStats, error)]
	packets *prometheus.Desc
}

func newFilterCollector() *filterCollector {
	return &filterCollector{packets: prometheus.NewDesc("tlsentry_bpf_packets_total",
		"Packets the eBPF socket filter looked at, by what it did with them: passed to the capture, or kept in the kernel (not_watched, fragment, malformed, over_budget).",
		[]string{"result"}, nil)}
}

func (c *filterCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.packets }

func (c *filterCollector) Collect(ch chan<- prometheus.Metric) {
	fn := c.fn.Load()
	if fn == nil {
		return
	}
	s, err := (*fn)()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.packets, err)
		return
	}
	for _, r := range []struct {
		result string
		v      uint64
	}{{"passed", s.Passed}, {"not_watched", s.NotWatched}, {"fragment", s.Fragment}, {"malformed", s.Malformed}, {"over_budget", s.OverBudget}} {
		ch <- constMetric(c.packets, prometheus.CounterValue, float64(r.v), r.result)
	}
}

// constMetric is a metric of a snapshot value, or an invalid metric if
// the labels do not fit the description.
func constMetric(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) prometheus.Metric {
	m, err := prometheus.NewConstMetric(d, t, v, labels...)
	if err != nil {
		return prometheus.NewInvalidMetric(d, err)
	}
	return m
}
