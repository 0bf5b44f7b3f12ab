package quic

// Draft exports Version.draft to the package's external tests, which live
// apart (package quic_test) because they parse hellos with tlsparse, and
// tlsparse depends on package flow, which depends on this package.
func Draft(v Version) int { return v.draft() }
