// Package iforest is the isolation forest that scores tlsentry's flows.
//
// It follows Liu, Ting and Zhou, "Isolation Forest" (ICDM 2008), with the
// conventions of scikit-learn's IsolationForest so that scores can be compared
// with models built there: each tree grows on a subsample of MaxSamples rows
// drawn without replacement, splits on a random feature at a uniform random
// value, stops at height ceil(log2(MaxSamples)), and a row's path length is the
// depth of the leaf it reaches plus c(leaf size), the expected depth of the
// subtree that was not grown. The anomaly score is 2^(-E[h(x)]/c(MaxSamples)):
// close to 1 for rows that isolate quickly, about 0.5 or less for ordinary ones.
//
// Two choices differ from a naive implementation, both for the sensor:
//
//   - A node never splits on a feature that is constant in its sample (a split
//     there would isolate nothing and only waste depth). If every feature is
//     constant the node is a leaf.
//   - All nodes of all trees live in one flat slice of pointer-free structs,
//     and leaves loop to themselves, so scoring is a fixed number of
//     branch-free steps per tree with no allocation.
//
// Contributions explains a score per feature (see its doc), and
// MarshalBinary/UnmarshalBinary give the strict, versioned encoding stored in
// the model file.
package iforest
