package image

import (
	"image"
)

// Side is the image's width and height; Pixels = Side*Side is the prefix
// length it holds.
const (
	Side   = 32
	Pixels = Side * Side
)

// Fill writes the image of prefix into dst (len(dst) >= Pixels): byte/255
// for the prefix, 0 after it. Bytes past Pixels are ignored.
func Fill(dst []float32, prefix []byte) {
	dst = dst[:Pixels]
	n := copyScaled(dst, prefix)
	clear(dst[n:])
}

func copyScaled(dst []float32, prefix []byte) int {
	n := min(len(prefix), len(dst))
	for i, b := range prefix[:n] {
		dst[i] = byteScale[b]
	}
	return n
}

// byteScale[b] is b/255 as float32, computed once so that every encoder
// (training, inference, tests) sees bit-identical inputs.
var byteScale = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

// Gray returns the prefix as a 32x32 8-bit grey image (black = 0x00).
func Gray(prefix []byte) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, Side, Side))
	copy(img.Pix, prefix[:min(len(prefix), Pixels)])
	return img
}
