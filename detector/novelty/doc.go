// Package novelty scores how new a flow's features are against what
// training saw: categorical values (versions, fingerprints, offered cipher
// suites) never seen, and structural numeric values (flags, counts)
// outside the training range.
//
// A forest never splits on a feature that was constant in training, so a
// flow whose only oddity is such a value (the only TLS 1.0 hello, the
// only hello without SNI) scores like any other; novelty catches it.
//
// Novelty is measured in bits: -log2 of the estimated chance that a new
// benign flow shows something that new. For a categorical feature that
// chance is the Good-Turing estimate, the share of training flows whose
// value was seen only once; for a range it is the share of training flows
// that alone hold the minimum or the maximum. A network where new
// fingerprints come and go all the time thus gives a new fingerprint few
// bits; one where every flow looks the same gives many. Scoring a training
// flow leaves that flow out (leave-one-out), so thresholds set from
// training scores count the novelty that new benign flows will show.
package novelty
