// Package detector turns flows into anomaly scores. A Model is loaded from
// a model file (package model) and hands out Scorers, one per worker
// goroutine; Train builds a model file from flows. Two kinds exist:
//
//   - cnn-iforest (the seed design): the first 1024 bytes as a 32x32
//     image, a convolutional autoencoder's 128-value code, scored by an
//     isolation forest;
//   - vae: a dense variational autoencoder scored by reconstruction error.
//
// Scores are "higher = more anomalous"; a flow alerts when its score is at
// or above the model's threshold, set at training time so that a chosen
// share of the training flows would alert.
package detector
