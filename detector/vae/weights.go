package vae

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/tlsentry/tlsentry/detector/internal/layercheck"
)

// Sizes of the model.
const (
	Pixels = 1024 // values per image (32x32)
	Hidden = 256  // width of the hidden layers of encoder and decoder
	Latent = 2    // dimension of the latent space
)

// The dense layers, in order.
const (
	Enc = iota
	Mu
	LogVar
	Dec
	Out
	NumLayers
)

// LayerSpec names one dense layer and its sizes.
type LayerSpec struct {
	Name    string
	In, Out int
}

var arch = [NumLayers]LayerSpec{
	{"enc", Pixels, Hidden},
	{"mu", Hidden, Latent},
	{"logvar", Hidden, Latent},
	{"dec", Latent, Hidden},
	{"out", Hidden, Pixels},
}

// Architecture lists the layers of the model, indexed by Enc ... Out.
func Architecture() [NumLayers]LayerSpec { return arch }

// Layer is one dense layer's parameters: W is (In, Out) row-major, B is (Out).
type Layer struct {
	LayerSpec
	W []float32
	B []float32
}

// Weights holds every parameter of the model, indexed by Enc ... Out.
type Weights struct {
	Layers [NumLayers]Layer
}

// NewWeights returns freshly initialised weights: Glorot-uniform,
// U(-l, l) with l = sqrt(6/(In+Out)), drawn from a PCG seeded with seed, and
// zero biases. The same seed always gives the same weights.
func NewWeights(seed uint64) *Weights {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	w := &Weights{}
	for i, s := range arch {
		lim := math.Sqrt(6 / float64(s.In+s.Out))
		l := Layer{LayerSpec: s, W: make([]float32, s.In*s.Out), B: make([]float32, s.Out)}
		for j := range l.W {
			l.W[j] = float32((r.Float64()*2 - 1) * lim)
		}
		w.Layers[i] = l
	}
	return w
}

// Clone returns a deep copy.
func (w *Weights) Clone() *Weights {
	c := &Weights{}
	for i, l := range w.Layers {
		c.Layers[i] = Layer{LayerSpec: l.LayerSpec, W: slices.Clone(l.W), B: slices.Clone(l.B)}
	}
	return c
}

// Tensor is one named parameter array.
type Tensor struct {
	Name  string    // "enc.w", "enc.b", ... "out.b"
	Shape []int     // (in, out) for weights, (out) for biases
	Data  []float32 // row-major, len = product of Shape
}

// Tensors lists the parameters in a fixed order (each layer's weights, then
// its bias, enc first). Data are views of w's storage, not copies.
func (w *Weights) Tensors() []Tensor {
	ts := make([]Tensor, 0, 2*NumLayers)
	for _, l := range w.Layers {
		ts = append(ts,
			Tensor{Name: l.Name + ".w", Shape: []int{l.In, l.Out}, Data: l.W},
			Tensor{Name: l.Name + ".b", Shape: []int{l.Out}, Data: l.B})
	}
	return ts
}

// TensorSpecs gives the names and shapes that Tensors produces, with nil
// Data: what a model file must hold for this model.
func TensorSpecs() []Tensor {
	ts := make([]Tensor, 0, 2*NumLayers)
	for _, s := range arch {
		ts = append(ts,
			Tensor{Name: s.Name + ".w", Shape: []int{s.In, s.Out}},
			Tensor{Name: s.Name + ".b", Shape: []int{s.Out}})
	}
	return ts
}

// FromTensors builds Weights from tensors in the order and with the names
// and shapes that Tensors gives, copying the data, and validates them.
func FromTensors(ts []Tensor) (*Weights, error) {
	want := TensorSpecs()
	if len(ts) != len(want) {
		return nil, fmt.Errorf("%w: %d tensors, want %d", ErrWeights, len(ts), len(want))
	}
	w := &Weights{}
	for i, t := range ts {
		e := want[i]
		if t.Name != e.Name {
			return nil, fmt.Errorf("%w: tensor %d is %q, want %q", ErrWeights, i, t.Name, e.Name)
		}
		if !slices.Equal(t.Shape, e.Shape) {
			return nil, fmt.Errorf("%w: tensor %s has shape %v, want %v", ErrWeights, t.Name, t.Shape, e.Shape)
		}
		l := &w.Layers[i/2]
		l.LayerSpec = arch[i/2]
		if i%2 == 0 {
			l.W = slices.Clone(t.Data)
		} else {
			l.B = slices.Clone(t.Data)
		}
	}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	return w, nil
}

// ErrWeights is wrapped by every error from Validate and FromTensors.
var ErrWeights = errors.New("vae weights")

// Validate checks that every layer has the architecture's name, sizes and
// array lengths, and that no value is NaN or infinite.
func (w *Weights) Validate() error {
	if w == nil {
		return fmt.Errorf("%w: nil", ErrWeights)
	}
	for i, l := range w.Layers {
		s := arch[i]
		if l.LayerSpec != s {
			return fmt.Errorf("%w: layer %d is %s %d->%d, want %s %d->%d", ErrWeights, i, l.Name, l.In, l.Out, s.Name, s.In, s.Out)
		}
		if err := layercheck.Check(ErrWeights, s.Name, l.W, l.B, s.In*s.Out, s.Out); err != nil {
			return err
		}
	}
	return nil
}
