// Package verdict turns a flow's score into a decision: alert or not,
// and why not when an allowlist allows it. It is the one place every
// command that judges flows (score, run) takes its verdict from, so the
// threshold and the allowlist mean the same everywhere.
package verdict
