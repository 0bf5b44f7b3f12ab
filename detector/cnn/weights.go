package cnn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/tlsentry/tlsentry/detector/internal/layercheck"
)

// Image and code sizes.
const (
	Side      = 32          // image width and height
	Pixels    = Side * Side // values per image
	CodeChans = 2           // code channels
	CodeSide  = 8           // code width and height
	CodeSize  = CodeChans * CodeSide * CodeSide
	Kernel    = 3 // every convolution is Kernel x Kernel
)

// The convolutions, in order; the first NumEncoder form the encoder.
const (
	Enc1 = iota
	Enc2
	Enc3
	Dec1
	Dec2
	NumConvs
	NumEncoder = Dec1
)

// ConvSpec names one convolution and its channel counts.
type ConvSpec struct {
	Name    string
	In, Out int
}

var arch = [NumConvs]ConvSpec{
	{"enc1", 1, 16},
	{"enc2", 16, 2},
	{"enc3", 2, 2},
	{"dec1", 2, 16},
	{"dec2", 16, 1},
}

// Architecture lists the convolutions of the autoencoder, indexed by Enc1 ... Dec2.
func Architecture() [NumConvs]ConvSpec { return arch }

// Conv is one convolution's parameters: W is (Out, In, 3, 3) row-major,
// B is (Out).
type Conv struct {
	ConvSpec
	W []float32
	B []float32
}

// Weights holds every parameter of the autoencoder, indexed by Enc1 ... Dec2.
type Weights struct {
	Convs [NumConvs]Conv
}

// NewWeights returns freshly initialised weights: Glorot-uniform,
// U(-l, l) with l = sqrt(6/(fanIn+fanOut)), fanIn = In*9, fanOut = Out*9,
// drawn from a PCG seeded with seed, and zero biases. The same seed always
// gives the same weights.
func NewWeights(seed uint64) *Weights {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	w := &Weights{}
	for i, s := range arch {
		lim := math.Sqrt(6 / float64((s.In+s.Out)*Kernel*Kernel))
		c := Conv{ConvSpec: s, W: make([]float32, s.Out*s.In*Kernel*Kernel), B: make([]float32, s.Out)}
		for j := range c.W {
			c.W[j] = float32((r.Float64()*2 - 1) * lim)
		}
		w.Convs[i] = c
	}
	return w
}

// Clone returns a deep copy.
func (w *Weights) Clone() *Weights {
	c := &Weights{}
	for i, v := range w.Convs {
		c.Convs[i] = Conv{ConvSpec: v.ConvSpec, W: slices.Clone(v.W), B: slices.Clone(v.B)}
	}
	return c
}

// Tensor is one named parameter array.
type Tensor struct {
	Name  string    // "enc1.w", "enc1.b", ... "dec2.b"
	Shape []int     // (out, in, 3, 3) for weights, (out) for biases
	Data  []float32 // row-major, len = product of Shape
}

// Tensors lists the parameters in a fixed order (each convolution's weights,
// then its bias, enc1 first). Data are views of w's storage, not copies.
func (w *Weights) Tensors() []Tensor {
	ts := make([]Tensor, 0, 2*NumConvs)
	for _, c := range w.Convs {
		ts = append(ts,
			Tensor{Name: c.Name + ".w", Shape: []int{c.Out, c.In, Kernel, Kernel}, Data: c.W},
			Tensor{Name: c.Name + ".b", Shape: []int{c.Out}, Data: c.B})
	}
	return ts
}

// FromTensors builds Weights from tensors in the order and with the names
// and shapes that Tensors gives, copying the data, and validates them.
func FromTensors(ts []Tensor) (*Weights, error) {
	want := (&Weights{}).expectedTensors()
	if len(ts) != len(want) {
		return nil, fmt.Errorf("cnn weights: %d tensors, want %d", len(ts), len(want))
	}
	w := &Weights{}
	for i, t := range ts {
		e := want[i]
		if t.Name != e.Name {
			return nil, fmt.Errorf("cnn weights: tensor %d is %q, want %q", i, t.Name, e.Name)
		}
		if !slices.Equal(t.Shape, e.Shape) {
			return nil, fmt.Errorf("cnn weights: tensor %s has shape %v, want %v", t.Name, t.Shape, e.Shape)
		}
		if n := shapeSize(e.Shape); len(t.Data) != n {
			return nil, fmt.Errorf("cnn weights: tensor %s has %d values, want %d", t.Name, len(t.Data), n)
		}
		c := &w.Convs[i/2]
		c.ConvSpec = arch[i/2]
		if i%2 == 0 {
			c.W = slices.Clone(t.Data)
		} else {
			c.B = slices.Clone(t.Data)
		}
	}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	return w, nil
}

// expectedTensors gives the names and shapes Tensors produces (Data nil).
func (w *Weights) expectedTensors() []Tensor {
	var ts []Tensor
	for _, s := range arch {
		ts = append(ts,
			Tensor{Name: s.Name + ".w", Shape: []int{s.Out, s.In, Kernel, Kernel}},
			Tensor{Name: s.Name + ".b", Shape: []int{s.Out}})
	}
	return ts
}

func shapeSize(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// ErrWeights is wrapped by every error from Validate.
var ErrWeights = errors.New("cnn weights")

// Validate checks that every convolution has the architecture's name,
// channel counts and array sizes, and that no value is NaN or infinite.
func (w *Weights) Validate() error {
	if w == nil {
		return fmt.Errorf("%w: nil", ErrWeights)
	}
	for i, c := range w.Convs {
		s := arch[i]
		if c.ConvSpec != s {
			return fmt.Errorf("%w: layer %d is %s %d->%d, want %s %d->%d", ErrWeights, i, c.Name, c.In, c.Out, s.Name, s.In, s.Out)
		}
		if err := layercheck.Check(ErrWeights, s.Name, c.W, c.B, s.Out*s.In*Kernel*Kernel, s.Out); err != nil {
			return err
		}
	}
	return nil
}
