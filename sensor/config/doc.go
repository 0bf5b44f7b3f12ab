// Package config loads, validates and reloads the sensor's YAML
// configuration.
//
// Decoding is strict, in the manner of prometheus/blackbox_exporter: an
// unknown or repeated key, a value of the wrong type and a value out of
// range are all errors, and each names the file, the line and the key path
// ("tlsentry.yaml:12: flow.idle_timeout: "5x" is not a duration"). Keys
// left out keep the values of Default.
//
// Reload follows parse → validate → atomic swap: Holder.Reload swaps in a
// new configuration only when it is valid, and keeps the old one
// otherwise. Every key is either hot (applied at once: thresholds,
// allowlists, outputs) or restart-only (capture, flow table, model,
// metrics listener); Diff says which changed keys are which.
package config
