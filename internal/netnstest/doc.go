// Package netnstest makes throwaway network namespaces for tests that need
// real interfaces: two namespaces joined by a veth pair, and a way to run
// code (socket creation) inside a namespace. It needs root and iproute2;
// Require skips the test otherwise.
package netnstest
