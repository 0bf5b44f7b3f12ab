// Package metrics holds the sensor's Prometheus metrics and serves them.
//
// Nothing is global: New registers the metrics on the registry it is
// given, and Serve exposes the gatherer it is given, so tests and several
// sensors in one process each have their own. Every name starts with
// tlsentry_ and ends with its unit (_total, _seconds, _bytes).
//
// Counts the pipeline already keeps (the flow tables' flow.Stats, the
// capture ring's kernel statistics, the eBPF filter's map counters, the
// tables' sizes) are not counted twice: AddFlowStats adds the growth
// between two snapshots, and the kernel, link, filter and active-flow
// collectors read a snapshot function at scrape time. The model metrics
// (SetModel) change as one, so a scrape never pairs a model with another
// model's threshold.
package metrics
