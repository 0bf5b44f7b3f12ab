// Package detector turns flows into anomaly scores. A Model is loaded from
// a model file (package model) and hands out Scorers, one per worker
// goroutine; Train builds a model file from flows. Two kinds exist:
//
//   - cnn-iforest (the seed design): the first 1024 bytes as a 32x32
//     image, a convolutional autoencoder's 128-value code, scored by an
//     isolation forest;
//   - vae: a dense variational autoencoder scored by reconstruction error;
//   - hybrid (the default): a score in bits of surprise, the sum of the
//     evidence that holds on any network (package evidence, calibrated
//     on a public benign corpus), the novelty against training counted
//     once per fact (package novelty), and an isolation forest over the
//     CNN code and the handshake features (package features), its score
//     turned into bits against the training flows' own scores.
//
// Scores are "higher = more anomalous"; a flow alerts when its score is at
// or above the model's threshold, set at training time so that a chosen
// share of the training flows would alert.
package detector
