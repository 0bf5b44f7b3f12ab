// Package model reads and writes tlsentry's model files: one versioned,
// checksummed file holding what a detector needs (its kind, the prefix
// layout it was trained on, named binary sections for weights and the
// forest, the default threshold and a summary of its training).
//
// Layout (integers little-endian):
//
//	"TLSNTRYM"                  magic, 8 bytes
//	uint16 format version       FormatVersion
//	uint32 n, n bytes           metadata as JSON (Meta; unknown fields refused)
//	repeated section:
//	  uint8 k, k bytes          section name (ASCII)
//	  uint32 m, m bytes         section data
//	32 bytes                    SHA-256 of everything before it
//
// Loading checks, in order: size, magic, version, checksum, metadata,
// section framing; every failure names what is wrong. The detector then
// checks that the sections fit its kind.
package model
