// Package allowlist decides which flows are never alerted on: those whose
// server name ends in a listed domain, whose client fingerprint (JA3 hash
// or JA4) is listed, or whose source or destination address is inside a
// listed CIDR prefix. A List is compiled once from a Config (the
// allowlist section of the daemon's configuration) and is then read-only, safe for concurrent use; on reload the daemon compiles a
// new one and swaps it in.
package allowlist
