// Package verdict turns a flow's score into a decision: alert or not,
// and why not when an allowlist allows it. A flow on one of the
// operator's block lists alerts whatever its score. It is the one place
// every command that judges flows (score, run) takes its verdict from,
// so the threshold and the lists mean the same everywhere.
package verdict
