// Package features turns a flow and its parsed handshake into the
// structured values the hybrid detector looks at: a fixed-length numeric
// vector (for the isolation forest, joined with the CNN code) and a set
// of categorical values (for novelty against training: versions,
// fingerprints, offered cipher suites and extensions, certificate
// issuer).
//
// Every feature has a stable name and a label in words, so that an alert
// can say which feature made a flow stand out. The layout is versioned
// (Schema): a model records the schema it was trained with and refuses
// another.
package features
