// Package cnn is tlsentry's convolutional autoencoder (DESIGN.md section 2):
// training with gorgonia, and a fast allocation-free encoder for the sensor.
//
// The architecture is the seed design, on 1x32x32 flow-prefix images
// (package detector/image), every convolution 3x3 with "same" zero padding
// and a bias:
//
//	encoder  enc1 Conv 1->16 + ReLU, MaxPool 2   (16x16x16)
//	         enc2 Conv 16->2 + ReLU, MaxPool 2   (2x8x8)
//	         enc3 Conv 2->2  + ReLU              = the code, 2x8x8 = 128 values
//	decoder  Upsample 2, dec1 Conv 2->16 + ReLU
//	         Upsample 2, dec2 Conv 16->1 + Sigmoid
//
// Convolutions are cross-correlations (no kernel flip) with weights laid out
// (out, in, ky, kx), as gorgonia's Conv2d computes them; codes are laid out
// (channel, row, column).
//
// The pieces:
//
//   - Weights holds the parameters as plain float32 slices. NewWeights draws
//     them reproducibly (Glorot-uniform from a seeded PCG; gorgonia's own
//     initialisers are seeded from the clock). Tensors and FromTensors are how
//     the model file stores and loads them.
//   - Train fits the autoencoder with gorgonia (Adam, binary cross-entropy in
//     its logits form), deterministically for a given seed, with early
//     stopping on the validation loss.
//   - GorgoniaEncoder runs the encoder half as a gorgonia graph: the
//     reference that the fast encoder is tested against.
//   - Encoder is the sensor's encoder: direct 3x3 convolutions fused with
//     bias, ReLU and pooling, with no allocation per call. On amd64 the
//     layers run as AVX-512 or AVX2+FMA assembly kernels (chosen at run time
//     with golang.org/x/sys/cpu; Kernels says which), vectorised over a
//     row's output pixels; elsewhere, and on CPUs without them, in plain Go.
//     Tests hold every path to the plain-Go one and to gorgonia.
package cnn
