package vae

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// tlsHeader starts every synthetic "normal" image: a TLS record and
// ClientHello header as a client would send it.
var tlsHeader = []byte{
	0x16, 0x03, 0x01, 0x02, 0x00, // handshake record, TLS 1.0 record version, length 512
	0x01, 0x00, 0x01, 0xfc, // ClientHello, length 508
	0x03, 0x03, // client version TLS 1.2
}

// normalImages makes n TLS-like images: the fixed header, 32 random bytes
// (the client random), a slowly varying byte pattern with noise for a
// random length, then zero padding.
func normalImages(seed uint64, n int) [][]float32 {
	r := rand.New(rand.NewPCG(seed, 17))
	imgs := make([][]float32, n)
	for i := range imgs {
		img := make([]float32, Pixels)
		length := 300 + r.IntN(300)
		for p := range length {
			var v byte
			switch {
			case p < len(tlsHeader):
				v = tlsHeader[p]
			case p < len(tlsHeader)+32:
				v = byte(r.Uint32())
			default:
				v = byte(p%64*2 + r.IntN(24))
			}
			img[p] = float32(v) / 255
		}
		imgs[i] = img
	}
	return imgs
}

// randomImages makes n images of uniformly random bytes over the whole
// prefix: encrypted or compressed data from the first byte, unlike TLS.
func randomImages(seed uint64, n int) [][]float32 {
	r := rand.New(rand.NewPCG(seed, 23))
	imgs := make([][]float32, n)
	for i := range imgs {
		img := make([]float32, Pixels)
		for p := range img {
			img[p] = float32(byte(r.Uint32())) / 255
		}
		imgs[i] = img
	}
	return imgs
}

var trained struct {
	once sync.Once
	w    *Weights
	rep  *TrainReport
	err  error
}

// trainedModel returns the weights and report of one short training run on
// normal images, shared by the tests that need a trained model.
func trainedModel(t testing.TB) (*Weights, *TrainReport) {
	t.Helper()
	trained.once.Do(func() {
		trained.w, trained.rep, trained.err = Train(context.Background(),
			normalImages(1, 192), normalImages(2, 48),
			TrainConfig{Epochs: 4, Batch: 32, LearnRate: 3e-3, Seed: 5})
	})
	if trained.err != nil {
		t.Fatal(trained.err)
	}
	return trained.w, trained.rep
}

// weightsEqual reports whether a and b are bit-identical.
func weightsEqual(a, b *Weights) bool {
	for i := range a.Layers {
		for _, p := range [][2][]float32{{a.Layers[i].W, b.Layers[i].W}, {a.Layers[i].B, b.Layers[i].B}} {
			if len(p[0]) != len(p[1]) {
				return false
			}
			for j := range p[0] {
				if math.Float32bits(p[0][j]) != math.Float32bits(p[1][j]) {
					return false
				}
			}
		}
	}
	return true
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

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
