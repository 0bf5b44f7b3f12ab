package cnn

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/tlsentry/tlsentry/detector/image"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// synthImages makes n TLS-like images: a fixed record header, a noisy byte
// ramp for a random length, then zero padding.
func synthImages(seed uint64, n int) [][]float32 {
	r := rand.New(rand.NewPCG(seed, 17))
	imgs := make([][]float32, n)
	for i := range imgs {
		prefix := make([]byte, 200+r.IntN(Pixels-200))
		copy(prefix, []byte{0x16, 0x03, 0x01, 0x02, 0x00})
		phase := r.IntN(32)
		for p := 5; p < len(prefix); p++ {
			prefix[p] = byte((p+phase)%32*6 + r.IntN(64))
		}
		imgs[i] = make([]float32, Pixels)
		image.Fill(imgs[i], prefix)
	}
	return imgs
}

// randomImages makes n images of uniformly random bytes.
func randomImages(seed uint64, n int) [][]float32 {
	r := rand.New(rand.NewPCG(seed, 23))
	imgs := make([][]float32, n)
	prefix := make([]byte, Pixels)
	for i := range imgs {
		for j := range prefix {
			prefix[j] = byte(r.Uint32())
		}
		imgs[i] = make([]float32, Pixels)
		image.Fill(imgs[i], prefix)
	}
	return imgs
}

func flatten(imgs [][]float32) []float32 {
	out := make([]float32, 0, len(imgs)*Pixels)
	for _, img := range imgs {
		out = append(out, img...)
	}
	return out
}

func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var m float64
	for i := range a {
		if d := math.Abs(float64(a[i]) - float64(b[i])); d > m || math.IsNaN(d) {
			m = d
		}
	}
	return m
}

var trained struct {
	once sync.Once
	w    *Weights
	err  error
}

// trainedWeights returns weights from a short training run, with extra
// noise on the biases so that every bias is clearly non-zero.
func trainedWeights(t testing.TB) *Weights {
	t.Helper()
	trained.once.Do(func() {
		w, _, err := Train(context.Background(), synthImages(1, 48), nil, TrainConfig{Epochs: 1, Batch: 16, Seed: 7})
		if err != nil {
			trained.err = err
			return
		}
		r := rand.New(rand.NewPCG(3, 4))
		for i := range w.Convs {
			for j := range w.Convs[i].B {
				w.Convs[i].B[j] += float32(r.NormFloat64() * 0.05)
			}
		}
		trained.w = w
	})
	if trained.err != nil {
		t.Fatal(trained.err)
	}
	return trained.w
}

// sampleFlowImages makes a few real flows of several kinds (TLS and not)
// and returns the image of each flow's prefix.
func sampleFlowImages(t testing.TB) [][]float32 {
	t.Helper()
	var imgs [][]float32
	for _, kind := range []string{labset.Benign, labset.NonTLSSSH, labset.NonTLSRandom, labset.LegacyTLS10} {
		flows, err := labset.Flows(context.Background(), kind, 2, 5)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range flows {
			img := make([]float32, Pixels)
			image.Fill(img, f.Prefix)
			imgs = append(imgs, img)
		}
	}
	return imgs
}
