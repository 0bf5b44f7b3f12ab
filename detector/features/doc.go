// Package features turns a flow and its parsed handshake into the
// structured values the hybrid detector looks at: a fixed-length numeric
// vector (for the isolation forest, joined with the CNN code) and a set
// of categorical values (for novelty against training: versions,
// fingerprints, offered cipher suites and extensions, certificate
// issuer).
//
// The transport is a feature too: numeric (flow.quic) and categorical
// (transport: "tcp" or "quic", in the protocol group, one fact with
// app_proto), with quic.undecrypted set for a flow that looks like QUIC
// but whose Initial packets do not open with the Initial keys.
//
// Every feature has a stable name and a label in words, so that an alert
// can say which feature made a flow stand out. The layout is versioned
// (Schema): a model records the schema it was trained with and refuses
// another, unless this build's layout extends it by appending (Layout):
// the model then reads the features it knows.
package features
