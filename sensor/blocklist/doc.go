// Package blocklist holds the operator's block lists: client fingerprints
// (JA3 hashes, JA4), certificate SHA-1 fingerprints and server names, read
// from files in the layouts public lists use (abuse.ch SSLBL's CSVs, one
// value per line, a CSV with a header naming its columns). A flow that
// matches an entry alerts whatever its score, with the entry's listing
// reason and the file and line it came from. Lists are loaded all or
// nothing and are then read-only, safe for concurrent use; a reload
// loads new ones and swaps them in.
package blocklist
