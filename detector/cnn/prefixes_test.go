package cnn

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tlsentry/tlsentry/detector/image"
	"github.com/tlsentry/tlsentry/internal/labset"
)

// TestEncodePrefixesMatchesEncode: on every path, encoding prefixes
// straight from their bytes gives the bits Encode gives for their images
// (image.Fill): real flows, random bytes, prefixes shorter than a row,
// ending mid-row, with zero bytes and runs of zeros, longer than an image.
func TestEncodePrefixesMatchesEncode(t *testing.T) {
	var prefixes [][]byte
	for _, kind := range []string{labset.Benign, labset.NonTLSSSH, labset.NonTLSRandom} {
		flows, err := labset.Flows(context.Background(), kind, 2, 4)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range flows {
			prefixes = append(prefixes, f.Prefix)
		}
	}
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 31, 32, 33, 100, 517, Pixels - 1, Pixels, Pixels + 300} {
		p := make([]byte, n)
		for i := range p {
			if r.IntN(4) > 0 { // a quarter zeros
				p[i] = byte(r.UintN(256))
			}
		}
		if n > 200 {
			clear(p[64:160]) // whole zero rows inside the prefix
		}
		prefixes = append(prefixes, p)
	}
	n := len(prefixes)
	imgs := make([]float32, n*Pixels)
	for i, p := range prefixes {
		image.Fill(imgs[i*Pixels:(i+1)*Pixels], p)
	}
	for _, k := range allKernels {
		t.Run(k.String(), func(t *testing.T) {
			if !k.available() {
				t.Skipf("this CPU cannot run the %v kernels", k)
			}
			enc, err := newEncoder(NewWeights(3), n, k)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]float32, n*CodeSize)
			enc.Encode(imgs, n, want)
			got := make([]float32, n*CodeSize)
			for i := range got {
				got[i] = float32(math.NaN()) // every value must be written
			}
			enc.EncodePrefixes(prefixes, n, got)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("prefix %d, code value %d: %v from the bytes, %v from the image", i/CodeSize, i%CodeSize, got[i], want[i])
				}
			}
		})
	}
}

// TestEncodePrefixesCarryOver: an encoder leaves zero rows and bias rows
// in its buffers for the next image to keep, and copies the code's
// bottom half of a short prefix (p2Tail); a long-lived encoder, fed
// short and long prefixes in turn, gives the bits a fresh encoder that
// runs every row through the kernels gives each prefix alone, on every
// path.
func TestEncodePrefixesCarryOver(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	var prefixes [][]byte
	for _, n := range []int{0, 5, 32, 64, 100, 300, 416, 600, Pixels, 40, Pixels + 8, 0, 33, 450, 200, 417, 300, 480, 700, 1, Pixels, 95, 0} {
		p := make([]byte, n)
		for i := range p {
			if r.IntN(3) > 0 {
				p[i] = byte(r.UintN(256))
			}
		}
		if n > 500 {
			clear(p[200:330]) // zero rows inside the prefix
		}
		prefixes = append(prefixes, p)
	}
	for _, k := range allKernels {
		t.Run(k.String(), func(t *testing.T) {
			if !k.available() {
				t.Skipf("this CPU cannot run the %v kernels", k)
			}
			w := NewWeights(5)
			long, err := newEncoder(w, 1, k)
			if err != nil {
				t.Fatal(err)
			}
			got, want := make([]float32, CodeSize), make([]float32, CodeSize)
			for i, p := range prefixes {
				long.EncodePrefixes([][]byte{p}, 1, got)
				fresh, err := newEncoder(w, 1, k)
				if err != nil {
					t.Fatal(err)
				}
				fresh.p2TailDone = false // every row through the kernel
				fresh.EncodePrefixes([][]byte{p}, 1, want)
				for j := range got {
					if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
						t.Fatalf("prefix %d (%d bytes), code value %d: %v after the others, %v alone", i, len(p), j, got[j], want[j])
					}
				}
			}
		})
	}
}

// TestLoadBytesEveryValue: on every path, each byte value loads as
// byteScale's bits (the AVX-512 path divides sixteen at a time), zeros
// after the prefix, whatever the image before left.
func TestLoadBytesEveryValue(t *testing.T) {
	prefix := make([]byte, Pixels)
	for i := range prefix {
		prefix[i] = byte(i*7 + i/256) // every value, in every lane
	}
	for _, k := range allKernels {
		t.Run(k.String(), func(t *testing.T) {
			if !k.available() {
				t.Skipf("this CPU cannot run the %v kernels", k)
			}
			e, err := newEncoder(NewWeights(1), 1, k)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range []int{Pixels, 0, 700, Pixels - 1, 64, 0} {
				e.loadBytes(prefix[:n])
				for y := range Side {
					for x := range Side {
						want := float32(0)
						if i := y*Side + x; i < n {
							want = byteScale[prefix[i]]
						}
						if got := e.in[(y+1)*pIn+1+x]; math.Float32bits(got) != math.Float32bits(want) {
							t.Fatalf("%d bytes: pixel (%d, %d) = %v, want %v", n, y, x, got, want)
						}
					}
				}
			}
		})
	}
}
