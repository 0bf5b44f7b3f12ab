// Package testkit is the tests' shared scaffolding: real TLS and TCP
// servers and clients inside network namespaces (netns.go, Linux), QUIC
// ones (quic.go: quic-go, a real QUIC stack, for tests only), a
// reader of eve JSON lines (eve.go), polling (WaitFor), a daemon run
// as a child process (child.go) and standard input from bytes (Stdin). It is for tests only; it imports no
// capture or pipeline package.
package testkit
