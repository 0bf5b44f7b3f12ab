package cnn

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestEncoderSIMDMatchesGeneric checks the assembly kernels against the
// plain-Go layers, value by value, on real flows, random-byte images,
// synthetic short flows (zero tails, so the zero-row shortcut mixes with
// the kernels) and images with random negative values (which the image
// format never makes but which drive the ReLU and max-pool through signs),
// under trained and random weights.
func TestEncoderSIMDMatchesGeneric(t *testing.T) {
	if !kernelsAVX2.available() {
		t.Skip("needs amd64 with AVX2 and FMA: this CPU runs only the plain-Go path")
	}
	imgs := sampleFlowImages(t)
	imgs = append(imgs, randomImages(3, 40)...)
	imgs = append(imgs, synthImages(5, 40)...)
	imgs = append(imgs, signedImages(11, 40)...)
	x := flatten(imgs)
	n := len(imgs)
	for _, tc := range []struct {
		name string
		w    *Weights
	}{{"trained", trainedWeights(t)}, {"seed 1", NewWeights(1)}, {"seed 2", noisyBiases(NewWeights(2), 4)}} {
		gen, err := newEncoder(tc.w, n, kernelsGeneric)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]float32, n*CodeSize)
		gen.Encode(x, n, want)
		for _, k := range allKernels[1:] {
			t.Run(tc.name+"/"+k.String(), func(t *testing.T) {
				if !k.available() {
					t.Skipf("needs amd64 with %v: this CPU cannot run those kernels", k)
				}
				simd, err := newEncoder(tc.w, n, k)
				if err != nil {
					t.Fatal(err)
				}
				if got := simd.Kernels(); got != k.String() {
					t.Fatalf("encoder runs %s kernels, asked for %v", got, k)
				}
				got := make([]float32, n*CodeSize)
				simd.Encode(x, n, got)
				checkKernelCodes(t, got, want)
			})
		}
	}
}

// checkKernelCodes fails t unless got (from the kernels) equals want (from
// the plain-Go layers) to float32 rounding, with enough non-zero values
// for the comparison to mean something.
func checkKernelCodes(t *testing.T, got, want []float32) {
	t.Helper()
	nonzero := 0
	for _, v := range want {
		if v != 0 {
			nonzero++
		}
	}
	if nonzero < len(want)/10 {
		t.Fatalf("only %d of %d code values are non-zero: too few to compare", nonzero, len(want))
	}
	worst, at := 0.0, 0
	for i := range got {
		// The kernels fuse multiply-add and sum in another order: allow
		// float32 rounding relative to the size.
		d := maxAbsDiff(got[i:i+1], want[i:i+1]) / max(1, float64(abs32(want[i])))
		if d > worst {
			worst, at = d, i
		}
	}
	t.Logf("%d images: max |kernels - generic| / max(1, |generic|) = %.3g; %d of %d values non-zero", len(want)/CodeSize, worst, nonzero, len(want))
	if worst > 1e-5 {
		t.Fatalf("kernels differ from the plain-Go layers by %.3g at image %d value %d: %v vs %v", worst, at/CodeSize, at%CodeSize, got[at], want[at])
	}
}

// signedImages makes n images of values uniform in [-1, 1).
func signedImages(seed uint64, n int) [][]float32 {
	r := rand.New(rand.NewPCG(seed, 29))
	imgs := make([][]float32, n)
	for i := range imgs {
		imgs[i] = make([]float32, Pixels)
		for j := range imgs[i] {
			imgs[i][j] = 2*r.Float32() - 1
		}
	}
	return imgs
}

// noisyBiases sets every encoder bias to a random value of about scale/10,
// either sign, so that ReLU clips some channels and not others.
func noisyBiases(w *Weights, seed uint64) *Weights {
	r := rand.New(rand.NewPCG(seed, 31))
	for _, c := range w.Convs[:NumEncoder] {
		for j := range c.B {
			c.B[j] = 0.2*r.Float32() - 0.1
		}
	}
	return w
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// BenchmarkEncoderPaths is BenchmarkEncoder on each path this CPU runs,
// for comparing them in one run.
func BenchmarkEncoderPaths(b *testing.B) {
	w := NewWeights(1)
	for _, k := range allKernels {
		if !k.available() {
			continue
		}
		b.Run(fmt.Sprintf("kernels=%v/batch=256", k), func(b *testing.B) {
			const batch = 256
			enc, err := newEncoder(w, batch, k)
			if err != nil {
				b.Fatal(err)
			}
			x := flatten(randomImages(1, batch))
			codes := make([]float32, batch*CodeSize)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				enc.Encode(x, batch, codes)
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "flows/s")
		})
	}
}
