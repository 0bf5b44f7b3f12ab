package cnn

import "golang.org/x/sys/cpu"

// The kernels in conv_avx2_amd64.s need AVX2 and FMA (x86-64-v3); those in
// conv_avx512_amd64.s add AVX-512F. x/sys/cpu also checks that the OS
// saves the YMM and ZMM registers.
var (
	haveAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	haveAVX512 = haveAVX2 && cpu.X86.HasAVX512F
)

// bestKernels is the fastest path this CPU runs.
var bestKernels = func() kernels {
	switch {
	case haveAVX512:
		return kernelsAVX512
	case haveAVX2:
		return kernelsAVX2
	}
	return kernelsGeneric
}()

// encodeSIMD encodes the loaded image with the assembly kernels. Pooled
// enc1 rows over an all-zero input patch (the tail of a short flow) skip
// the kernel, as the plain-Go path does.
func (e *Encoder) encodeSIMD(code []float32) {
	code = code[:CodeSize]
	wide := e.kern == kernelsAVX512
	for py := range h1 {
		r := 2 * py
		switch {
		case e.zeroRows(r):
			e.layer1BiasRow(py)
		case wide:
			conv1RowAVX512(&e.in[r*pIn], &e.w1, &e.b1, &e.p1[(py+1)*p1Side+1])
			e.p1Bias[py] = false
		default:
			conv1Row(&e.in[r*pIn], &e.w1, &e.b1, &e.p1[(py+1)*p1Side+1])
			e.p1Bias[py] = false
		}
	}
	if wide {
		conv2RowsAVX512(&e.p1[0], &e.w2, &e.b2, &e.p2[p2Side+1])
		if e.p2TailDone && e.tailBias() {
			for c := range CodeChans {
				copy(e.p2[c*p2Size+(tailRow+1)*p2Side:], e.p2Tail[c][:])
			}
		} else {
			conv2RowsAVX512(&e.p1[2*tailRow*p1Side], &e.w2, &e.b2, &e.p2[(tailRow+1)*p2Side+1])
		}
	} else {
		for py := range h2 {
			conv2Row(&e.p1[2*py*p1Side], &e.w2v, &e.b2, &e.p2[(py+1)*p2Side+1])
		}
	}
	conv3(&e.p2, &e.w3v, &e.b3, (*[CodeSize]float32)(code))
}

// conv1Row computes pooled row py of enc1 (+ bias, ReLU, 2x2 max-pool) for
// all 16 channels with AVX2. in points at padded input row 2*py (the
// kernel reads rows 2*py .. 2*py+3, pIn values each); out points at the
// first interior value of padded row py+1 of channel 0 in p1 (channels
// p1Size apart), of which it writes 16 values per channel.
//
//go:noescape
func conv1Row(in *float32, w *[c1][9]float32, b *[c1]float32, out *float32)

// conv1RowAVX512 is conv1Row with AVX-512.
//
//go:noescape
func conv1RowAVX512(in *float32, w *[c1][9]float32, b *[c1]float32, out *float32)

// conv2Row computes pooled row py of enc2 (+ bias, ReLU, 2x2 max-pool) for
// both channels with AVX2. in points at padded row 2*py of channel 0 of p1
// (the kernel reads rows 2*py .. 2*py+3 of each of the 16 channels); out
// points at the first interior value of padded row py+1 of channel 0 in
// p2, of which it writes 8 values per channel.
//
//go:noescape
func conv2Row(in *float32, w *[c1][CodeChans][9][lanes]float32, b *[CodeChans]float32, out *float32)

// conv2RowsAVX512 is conv2Row with AVX-512 for pooled rows py .. py+3
// (py a multiple of 4): it reads rows 2*py .. 2*py+9 of each p1 channel
// and writes padded rows py+1 .. py+4 of p2. It takes the plain enc2
// weights.
//
//go:noescape
func conv2RowsAVX512(in *float32, w *[CodeChans][c1][9]float32, b *[CodeChans]float32, out *float32)

// conv3 computes enc3 (+ bias, ReLU) from the padded enc2 output into the
// code, with AVX2.
//
//go:noescape
func conv3(in *[CodeChans * p2Size]float32, w *[CodeChans][CodeChans][9][lanes]float32, b *[CodeChans]float32, code *[CodeSize]float32)

// tailRow is the first row of enc2's output that conv2RowsAVX512's
// second call writes (pooled rows 4..7), from pooled enc1 rows
// 2*tailRow-1 .. 15 (padded rows 8..17, the last a border).
const tailRow = 4

// tailBias reports whether the enc1 rows under the code's bottom half all
// hold ReLU(bias): the kernel would then write p2Tail.
func (e *Encoder) tailBias() bool {
	for py := 2*tailRow - 1; py < h1; py++ {
		if !e.p1Bias[py] {
			return false
		}
	}
	return true
}

// prepareTail computes p2Tail with the AVX-512 kernel itself (so the
// copied values are its bits), on enc1 rows 7..15 set to ReLU(bias); the
// buffers are left as any image with such a tail leaves them.
func (e *Encoder) prepareTail() {
	if e.kern != kernelsAVX512 {
		return
	}
	for py := 2*tailRow - 1; py < h1; py++ {
		e.layer1BiasRow(py)
	}
	conv2RowsAVX512(&e.p1[2*tailRow*p1Side], &e.w2, &e.b2, &e.p2[(tailRow+1)*p2Side+1])
	for c := range CodeChans {
		copy(e.p2Tail[c][:], e.p2[c*p2Size+(tailRow+1)*p2Side:][:4*p2Side])
	}
	e.p2TailDone = true
}

// bytesRowsAVX512 writes rows whole rows of the image of the bytes at src
// (Side bytes a row) to dst, the first interior value of padded input row
// 1 (pIn floats a row): byte b as float32(b)/255.
//
//go:noescape
func bytesRowsAVX512(src *byte, dst *float32, rows int)

// loadFullRows writes the image's first full rows from prefix with the
// AVX-512 kernel, zero rows included (+0, as clear writes); false: not on
// this path, the caller converts them.
func (e *Encoder) loadFullRows(prefix []byte, full int) bool {
	if e.kern != kernelsAVX512 || full == 0 {
		return false
	}
	_ = prefix[full*Side-1]
	bytesRowsAVX512(&prefix[0], &e.in[pIn+1], full)
	return true
}
