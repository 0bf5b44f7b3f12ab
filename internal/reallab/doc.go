// Package reallab holds the Go crypto/tls stacks of the real-stack lab
// (bench/reallab): named client set-ups ("profiles") that browse a list
// of URLs one TCP connection each, and an HTTPS server for the lab's
// hosts. The lab runs them, beside openssl, curl, wget, gnutls, python
// and node, in a network namespace and captures what they send.
package reallab
