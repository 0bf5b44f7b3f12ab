//go:build !amd64

package cnn

// Only the plain-Go path: the kernels are amd64 assembly.
const (
	haveAVX2    = false
	haveAVX512  = false
	bestKernels = kernelsGeneric
)

// encodeSIMD is never called without the kernels; it falls back to the
// plain-Go layers all the same.
func (e *Encoder) encodeSIMD(code []float32) { e.encodeGeneric(code) }

// prepareTail has nothing to prepare without the AVX-512 kernel.
func (e *Encoder) prepareTail() {}

// loadFullRows leaves the rows to the caller without the kernels.
func (e *Encoder) loadFullRows(prefix []byte, full int) bool { return false }
