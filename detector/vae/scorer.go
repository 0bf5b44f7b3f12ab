package vae

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas/blas32"
)

// block is how many images the Scorer pushes through each layer together:
// every weight row is then read once per block instead of once per image,
// and the block's activations (about 90 KB) stay in the cache.
const block = 16

// Scorer is the sensor's scorer: the VAE's deterministic forward pass
// (image -> latent mean -> reconstruction) in plain Go on gonum's SIMD
// axpy kernel, agreeing with
// gorgonia's forward pass (epsilon = 0) to float32 rounding. It holds its
// own copy of the weights and preallocated buffers; Score, ScoreBatch,
// Reconstruct and Latent allocate nothing.
//
// A Scorer is not safe for concurrent use; give each worker its own.
type Scorer struct {
	w *Weights

	h   [block * Hidden]float32 // encoder hidden layer
	mu  [block * Latent]float32
	lv  [block * Latent]float32
	h2  [block * Hidden]float32 // decoder hidden layer
	out [block * Pixels]float32 // reconstructions
	one [1][]float32            // lets Score reuse the batch code without allocating
}

// NewScorer validates w and returns a Scorer with a copy of it.
func NewScorer(w *Weights) (*Scorer, error) {
	if err := w.Validate(); err != nil {
		return nil, err
	}
	return &Scorer{w: w.Clone()}, nil
}

// Score returns the L2 distance between image (Pixels values, byte/255) and
// its reconstruction through the latent mean: sqrt(Σ (x - x̂)²). Higher is
// more anomalous. It panics if len(image) != Pixels.
func (s *Scorer) Score(image []float32) float64 {
	s.one[0] = image
	s.forward(s.one[:])
	s.one[0] = nil
	return s.distance(0, image)
}

// ScoreBatch writes the score of images[i] to scores[i], exactly the value
// Score gives for it. It panics if scores is shorter than images or an image
// does not have Pixels values.
func (s *Scorer) ScoreBatch(images [][]float32, scores []float64) {
	if len(scores) < len(images) {
		panic(fmt.Sprintf("vae: ScoreBatch of %d images into %d scores", len(images), len(scores)))
	}
	for off := 0; off < len(images); off += block {
		imgs := images[off:min(off+block, len(images))]
		s.forward(imgs)
		for b, img := range imgs {
			scores[off+b] = s.distance(b, img)
		}
	}
}

// Reconstruct writes image's reconstruction through the latent mean to dst
// (Pixels values) and returns dst. It panics if either slice is not Pixels
// long.
func (s *Scorer) Reconstruct(dst, image []float32) []float32 {
	if len(dst) != Pixels {
		panic(fmt.Sprintf("vae: Reconstruct into %d values, want %d", len(dst), Pixels))
	}
	s.one[0] = image
	s.forward(s.one[:])
	s.one[0] = nil
	copy(dst, s.out[:Pixels])
	return dst
}

// Latent returns the mean and log-variance of image's latent distribution.
// It panics if len(image) != Pixels.
func (s *Scorer) Latent(image []float32) (mu, logVar [Latent]float32) {
	s.one[0] = image
	s.forward(s.one[:])
	s.one[0] = nil
	copy(mu[:], s.mu[:Latent])
	copy(logVar[:], s.lv[:Latent])
	return mu, logVar
}

// distance is the L2 distance between img and reconstruction b of the last
// forward pass.
func (s *Scorer) distance(b int, img []float32) float64 {
	out := s.out[b*Pixels : (b+1)*Pixels]
	var sum float64
	for i, x := range img[:Pixels] {
		d := float64(x) - float64(out[i])
		sum += d * d
	}
	return math.Sqrt(sum)
}

// lossTerms adds to rec the squared reconstruction error and to kl the KL
// divergence of each image, in float64, with the latent mean as the sample:
// the validation loss of Train.
func (s *Scorer) lossTerms(images [][]float32) (rec, kl float64) {
	for off := 0; off < len(images); off += block {
		imgs := images[off:min(off+block, len(images))]
		s.forward(imgs)
		for b, img := range imgs {
			d := s.distance(b, img)
			rec += d * d
			for k := range Latent {
				m, v := float64(s.mu[b*Latent+k]), float64(s.lv[b*Latent+k])
				kl += -0.5 * (1 + v - m*m - math.Exp(v))
			}
		}
	}
	return rec, kl
}

// forward runs len(imgs) <= block images through the model, leaving the
// latent means, log-variances and reconstructions in s.mu, s.lv and s.out.
// Every image's values are accumulated in the same order whatever the other
// images of the block, so a score does not depend on its batch.
func (s *Scorer) forward(imgs [][]float32) {
	n := len(imgs)
	for b, img := range imgs {
		if len(img) != Pixels {
			panic(fmt.Sprintf("vae: image %d has %d values, want %d", b, len(img), Pixels))
		}
	}
	enc, muL, lvL, dec, outL := &s.w.Layers[Enc], &s.w.Layers[Mu], &s.w.Layers[LogVar], &s.w.Layers[Dec], &s.w.Layers[Out]

	// enc: h = ReLU(x·W + b). Zero pixels (the padding of short prefixes)
	// contribute nothing and are skipped.
	h := s.h[:n*Hidden]
	for b := range n {
		copy(h[b*Hidden:(b+1)*Hidden], enc.B)
	}
	for i := range Pixels {
		row := enc.W[i*Hidden : (i+1)*Hidden]
		for b, img := range imgs {
			if v := img[i]; v != 0 {
				axpy(h[b*Hidden:(b+1)*Hidden], v, row)
			}
		}
	}
	relu(h)

	// mu and logvar: 256 -> 2 each.
	for b := range n {
		hb := h[b*Hidden : (b+1)*Hidden]
		for k := range Latent {
			m, v := muL.B[k], lvL.B[k]
			for j, x := range hb {
				m += x * muL.W[j*Latent+k]
				v += x * lvL.W[j*Latent+k]
			}
			s.mu[b*Latent+k], s.lv[b*Latent+k] = m, v
		}
	}

	// dec: h2 = ReLU(mu·W + b).
	h2 := s.h2[:n*Hidden]
	for b := range n {
		hb := h2[b*Hidden : (b+1)*Hidden]
		copy(hb, dec.B)
		for k := range Latent {
			axpy(hb, s.mu[b*Latent+k], dec.W[k*Hidden:(k+1)*Hidden])
		}
	}
	relu(h2)

	// out: sigmoid(h2·W + b).
	out := s.out[:n*Pixels]
	for b := range n {
		copy(out[b*Pixels:(b+1)*Pixels], outL.B)
	}
	for j := range Hidden {
		row := outL.W[j*Pixels : (j+1)*Pixels]
		for b := range n {
			if v := h2[b*Hidden+j]; v != 0 {
				axpy(out[b*Pixels:(b+1)*Pixels], v, row)
			}
		}
	}
	for i, v := range out {
		out[i] = float32(1 / (1 + math.Exp(-float64(v))))
	}
}

// axpy adds a·x to dst (len(x) >= len(dst)), with gonum's SIMD kernel.
func axpy(dst []float32, a float32, x []float32) {
	blas32.Implementation().Saxpy(len(dst), a, x, 1, dst, 1)
}

func relu(v []float32) {
	for i, x := range v {
		if x < 0 {
			v[i] = 0
		}
	}
}
