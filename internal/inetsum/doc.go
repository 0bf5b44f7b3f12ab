// Package inetsum computes the Internet checksum (RFC 1071), the one IPv4
// headers carry: for the fragment reassembler, which rewrites a header,
// and the capture generator, which cuts packets into fragments.
package inetsum
