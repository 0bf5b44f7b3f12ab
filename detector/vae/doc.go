// Package vae is tlsentry's dense variational autoencoder, the seed design's
// second choice of model, on 1024-value flow-prefix images (package
// detector/image, byte/255, row-major 32x32):
//
//	encoder  enc     Dense 1024 -> 256 + ReLU
//	         mu      Dense 256 -> 2            the latent mean
//	         logvar  Dense 256 -> 2            the latent log-variance
//	sampling z = mu + exp(logvar/2) * eps, eps ~ N(0, I)   (training only)
//	decoder  dec     Dense 2 -> 256 + ReLU
//	         out     Dense 256 -> 1024 + Sigmoid
//
// A dense layer computes y = x·W + b with W laid out (in, out) row-major, as
// gorgonia's Mul(x, W) does on a (batch, in) input.
//
// The loss is the reconstruction error, squared differences summed over the
// pixels, plus the Kullback-Leibler divergence of N(mu, exp(logvar)) from
// N(0, I), both averaged over the batch.
//
// The pieces:
//
//   - Weights holds the parameters as plain float32 slices. NewWeights draws
//     them reproducibly (Glorot-uniform from a seeded PCG; gorgonia's own
//     initialisers are seeded from the clock). Tensors and FromTensors are how
//     a model file stores and loads them.
//   - Train fits the model with gorgonia (Adam), feeding epsilon from its own
//     seeded generator so that a seed always gives bit-identical weights, with
//     early stopping on the validation loss.
//   - Scorer is the sensor's scorer, in plain Go (gonum's SIMD axpy kernel,
//     no gorgonia) with no allocation per call:
//     the L2 distance between an image and its reconstruction through the
//     latent mean (no sampling, so a score is deterministic).
package vae
