package cnn

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Padded working sizes: every buffer has a one-value zero border, so the
// 3x3 "same" convolutions need no edge tests.
const (
	c1     = 16       // enc1 output channels
	pIn    = Side + 2 // padded input side (34)
	h1     = Side / 2 // enc1 pooled side (16)
	p1Side = h1 + 2   // padded enc1 output side (18)
	p1Size = p1Side * p1Side
	h2     = h1 / 2 // enc2 pooled side (8) = CodeSide
	p2Side = h2 + 2 // padded enc2 output side (10)
	p2Size = p2Side * p2Side
	lanes  = 8 // float32 lanes of an AVX2 vector
)

// Encoder is the sensor's encoder: the encoder half of the autoencoder,
// agreeing with GorgoniaEncoder to float32 rounding. Each convolution is
// computed directly and fused with its bias, ReLU and 2x2 max-pool; working
// memory is a few padded per-image buffers (about 26 KB, so they stay in
// the L1/L2 cache) and the weights (about 12 KB), allocated once. Encode
// allocates nothing.
//
// On amd64 CPUs with AVX2 and FMA the convolutions run in assembly kernels
// that vectorise over 8 output pixels of a row (16 with AVX-512;
// conv_amd64.go); elsewhere they run in plain Go (encoder_generic.go). The
// paths agree to float32 rounding: the kernels fuse multiply and add and
// sum in another order.
//
// An Encoder is not safe for concurrent use; give each worker its own.
type Encoder struct {
	max  int
	kern kernels

	w1 [c1][9]float32
	b1 [c1]float32
	w2 [CodeChans][c1][9]float32
	b2 [CodeChans]float32
	w3 [CodeChans][CodeChans][9]float32
	b3 [CodeChans]float32

	// enc2 and enc3 weights for the AVX2 kernels, each repeated across
	// the eight lanes of a vector, laid out (in, out, tap, lane) and (out,
	// in, tap, lane), the order in which the kernels walk them.
	w2v [c1][CodeChans][9][lanes]float32
	w3v [CodeChans][CodeChans][9][lanes]float32

	in    [pIn * pIn]float32   // padded input image
	rowNZ [pIn]bool            // in's row r has a non-zero value
	p1    [c1 * p1Size]float32 // padded, pooled enc1 output
	p2    [CodeChans * p2Size]float32

	// What the buffers still hold from the image before, so that the
	// tail of a short flow, zeros in most flows of a batch, is not
	// written again image after image: inZero[y], interior row y of in
	// is all +0 (loadBytes wrote it so); p1Bias[py], pooled enc1 row py
	// is ReLU(bias) (layer1BiasRow wrote it, no convolution since).
	inZero [Side]bool
	p1Bias [h1]bool

	// p2Tail is what the AVX-512 enc2 kernel writes to p2's padded rows
	// 5..8 (the code's bottom half) when pooled enc1 rows 7..15 are all
	// bias rows, the input from row 13 on all zero (a prefix of at most
	// 416 bytes, a third of the flows): computed once, copied after.
	p2Tail     [CodeChans][4 * p2Side]float32
	p2TailDone bool
}

// NewEncoder copies w's encoder weights into an Encoder that takes up to
// maxBatch images per call.
func NewEncoder(w *Weights, maxBatch int) (*Encoder, error) {
	return newEncoder(w, maxBatch, bestKernels)
}

// kernels names a path through the convolutions.
type kernels uint8

const (
	kernelsGeneric kernels = iota // plain Go
	kernelsAVX2                   // amd64 assembly, AVX2 and FMA
	kernelsAVX512                 // amd64 assembly, AVX-512F for enc1 and enc2
)

func (k kernels) String() string {
	return [...]string{"generic", "avx2", "avx512"}[k]
}

// available reports whether this CPU runs k.
func (k kernels) available() bool {
	switch k {
	case kernelsAVX2:
		return haveAVX2
	case kernelsAVX512:
		return haveAVX512
	}
	return true
}

// newEncoder is NewEncoder on the given path; tests use it to run every
// path the CPU has.
func newEncoder(w *Weights, maxBatch int, kern kernels) (*Encoder, error) {
	if !kern.available() {
		return nil, fmt.Errorf("cnn: %v kernels: not supported by this CPU", kern)
	}
	if maxBatch < 1 {
		return nil, fmt.Errorf("cnn: max batch %d: must be at least 1", maxBatch)
	}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	e := &Encoder{max: maxBatch, kern: kern}
	for o := range c1 {
		copy(e.w1[o][:], w.Convs[Enc1].W[o*9:])
	}
	copy(e.b1[:], w.Convs[Enc1].B)
	for o := range CodeChans {
		for c := range c1 {
			copy(e.w2[o][c][:], w.Convs[Enc2].W[(o*c1+c)*9:])
		}
		for c := range CodeChans {
			copy(e.w3[o][c][:], w.Convs[Enc3].W[(o*CodeChans+c)*9:])
		}
	}
	copy(e.b2[:], w.Convs[Enc2].B)
	copy(e.b3[:], w.Convs[Enc3].B)
	for c := range c1 {
		for o := range CodeChans {
			for k := range 9 {
				fill(e.w2v[c][o][k][:], e.w2[o][c][k])
			}
		}
	}
	for o := range CodeChans {
		for c := range CodeChans {
			for k := range 9 {
				fill(e.w3v[o][c][k][:], e.w3[o][c][k])
			}
		}
	}
	e.prepareTail()
	return e, nil
}

// MaxBatch is the most images one call to Encode takes.
func (e *Encoder) MaxBatch() int { return e.max }

// Encode maps the first n images of images (Pixels values each) to their
// codes, written to codes[i*CodeSize:(i+1)*CodeSize] laid out (channel,
// row, column). It panics if n is out of [0, MaxBatch()] or a slice is too
// short, as an index out of range would.
func (e *Encoder) Encode(images []float32, n int, codes []float32) {
	if n < 0 || n > e.max || len(images) < n*Pixels || len(codes) < n*CodeSize {
		panic(fmt.Sprintf("cnn: Encode of %d images (max %d) with %d image and %d code values", n, e.max, len(images), len(codes)))
	}
	for i := range n {
		e.encodeOne(images[i*Pixels:(i+1)*Pixels], codes[i*CodeSize:(i+1)*CodeSize])
	}
}

// EncodePrefixes is Encode of the images of the first n prefixes, each
// prefix byte b at its pixel as b/255 and zeros after it (package image's
// Fill), without building the images: the codes are bit-identical.
// Bytes past Pixels are ignored. It panics as Encode does.
func (e *Encoder) EncodePrefixes(prefixes [][]byte, n int, codes []float32) {
	if n < 0 || n > e.max || len(prefixes) < n || len(codes) < n*CodeSize {
		panic(fmt.Sprintf("cnn: EncodePrefixes of %d prefixes (max %d) with %d prefixes and %d code values", n, e.max, len(prefixes), len(codes)))
	}
	for i := range n {
		e.loadBytes(prefixes[i])
		e.encodeLoaded(codes[i*CodeSize : (i+1)*CodeSize])
	}
}

// Kernels names the path e runs: "avx512" or "avx2" (amd64 assembly), or
// "generic" (plain Go).
func (e *Encoder) Kernels() string { return e.kern.String() }

func (e *Encoder) encodeOne(img, code []float32) {
	e.load(img)
	e.encodeLoaded(code)
}

// encodeLoaded encodes the image in e.in.
func (e *Encoder) encodeLoaded(code []float32) {
	if e.kern != kernelsGeneric {
		e.encodeSIMD(code)
		return
	}
	e.encodeGeneric(code)
}

// load copies img into the interior of the padded input and notes which
// rows have a non-zero value (short flows end in zero rows). The test ORs
// the bits less the sign, branch-free (-0 counts as zero, as v != 0 would).
func (e *Encoder) load(img []float32) {
	img = img[:Pixels]
	e.inZero = [Side]bool{}
	for y := range Side {
		src := img[y*Side : y*Side+Side]
		copy(e.in[(y+1)*pIn+1:][:Side], src)
		var bits uint32
		for _, v := range src {
			bits |= math.Float32bits(v)
		}
		e.rowNZ[y+1] = bits&^(1<<31) != 0
	}
}

// loadBytes is load of the image of prefix: byte b as b/255 (the table
// package image fills with), zeros after the prefix.
func (e *Encoder) loadBytes(prefix []byte) {
	prefix = prefix[:min(len(prefix), Pixels)]
	full := len(prefix) / Side
	if e.loadFullRows(prefix, full) {
		// Converted whole, zero rows too: only which rows are zero is
		// left to note.
		for y := range full {
			src := (*[Side]byte)(prefix[y*Side:])
			var bits uint64
			for x := 0; x < Side; x += 8 {
				bits |= binary.LittleEndian.Uint64(src[x:])
			}
			e.rowNZ[y+1] = bits != 0
			e.inZero[y] = bits == 0
		}
	} else {
		e.loadFullRowsGo(prefix, full)
	}
	for y := full; y < Side; y++ {
		dst := e.in[(y+1)*pIn+1:][:Side]
		lo := min(y*Side, len(prefix))
		src := prefix[lo:min(lo+Side, len(prefix))]
		if len(src) == 0 && e.inZero[y] {
			e.rowNZ[y+1] = false
			continue // past the prefix, and zero already
		}
		var bits byte
		for x, b := range src {
			dst[x] = byteScale[b]
			bits |= b
		}
		clear(dst[len(src):])
		e.rowNZ[y+1] = bits != 0
		e.inZero[y] = bits == 0
	}
}

// loadFullRowsGo converts the image's first full rows from prefix in
// plain Go, noting which are zero (not written again when the image
// before left them zero).
func (e *Encoder) loadFullRowsGo(prefix []byte, full int) {
	for y := range full {
		// A whole row: fixed lengths, no bounds checks; zero bytes are
		// tested eight at a time.
		src := (*[Side]byte)(prefix[y*Side:])
		dst := (*[Side]float32)(e.in[(y+1)*pIn+1:])
		var bits uint64
		for x := 0; x < Side; x += 8 {
			bits |= binary.LittleEndian.Uint64(src[x:])
		}
		e.rowNZ[y+1] = bits != 0
		if bits == 0 {
			if !e.inZero[y] {
				clear(dst[:])
				e.inZero[y] = true
			}
			continue
		}
		for x, b := range src {
			dst[x] = byteScale[b]
		}
		e.inZero[y] = false
	}
}

// byteScale[b] is b/255 as float32: package image's table, for the same
// bits.
var byteScale = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(i) / 255
	}
	return t
}()

// zeroRows reports whether the padded input rows r .. r+3, the patch under
// pooled enc1 row r/2, are all zero.
func (e *Encoder) zeroRows(r int) bool {
	return !(e.rowNZ[r] || e.rowNZ[r+1] || e.rowNZ[r+2] || e.rowNZ[r+3])
}

// layer1BiasRow writes pooled enc1 row py for an all-zero input patch:
// every sum is zero, so each value is ReLU(bias).
func (e *Encoder) layer1BiasRow(py int) {
	if e.p1Bias[py] {
		return // as the image before left it
	}
	e.p1Bias[py] = true
	for c := range c1 {
		v := max(e.b1[c], 0)
		fill(e.p1[c*p1Size+(py+1)*p1Side+1:][:h1], v)
	}
}

func fill(s []float32, v float32) {
	for i := range s {
		s[i] = v
	}
}
