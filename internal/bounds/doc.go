// Package bounds is how a package that owns a configuration type reports
// the values out of their bounds: one *Error per field, naming the Go
// field and, for an integer or duration range, the value and its limits
// as numbers (Float64 says its Interval in words). The owner
// (flow.Config, afpacket.Config, bpf.Config, pipeline.Tuning ...) is the
// only place a bound is written; the YAML configuration converts to the
// owner's type, calls its Validate, and renders each *Error at the line of
// its key and in the key's units, so that check-config and the daemon can
// never disagree.
package bounds
