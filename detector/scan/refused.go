package scan

import "github.com/tlsentry/tlsentry/flow/tlsparse"

// Refused reports whether the server turned a hello down: its answer was
// a TLS alert and no ServerHello (nor a HelloRetryRequest), as servers
// answer the versions, suites and extensions they do not take. A server
// that said nothing does not count: its side may not have been captured
// (asymmetric routing), and silence tells nothing of the hello.
func Refused(h *tlsparse.Handshake) bool {
	if h == nil || h.Client == nil || h.Server == nil {
		return false
	}
	s := h.Server
	return s.Alert != nil && s.ServerHello == nil && s.HelloRetryRequest == nil
}
