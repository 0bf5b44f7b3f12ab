// Package testcert issues X.509 certificates for tests: self-signed roots,
// chains under a private CA, and leaves under a given issuer name (a
// parent with only RawSubject set signs under that name).
package testcert
