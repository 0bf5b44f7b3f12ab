package detector

import (
	"fmt"

	"github.com/tlsentry/tlsentry/detector/image"
	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/detector/vae"
)

const vaePrefix = "vae/"

func addVAE(f *model.File, w *vae.Weights) {
	for _, t := range w.Tensors() {
		f.AddFloat32s(vaePrefix+t.Name, t.Data)
	}
}

func loadVAE(f *model.File) (*Model, error) {
	ts := vae.TensorSpecs()
	for i := range ts {
		n := 1
		for _, d := range ts[i].Shape {
			n *= d
		}
		data, err := f.Float32s(vaePrefix+ts[i].Name, n)
		if err != nil {
			return nil, err
		}
		ts[i].Data = data
	}
	w, err := vae.FromTensors(ts)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", model.ErrCorrupt, err)
	}
	return &Model{File: f, newScorer: func() (Scorer, error) {
		s, err := vae.NewScorer(w)
		if err != nil {
			return nil, err
		}
		return &vaeScorer{imager: imager{masked: masked(f)}, s: s, img: make([]float32, image.Pixels)}, nil
	}}, nil
}

type vaeScorer struct {
	imager
	s   *vae.Scorer
	img []float32
}

func (v *vaeScorer) Score(in []Input, out []float64) {
	for i, x := range in {
		v.fill(v.img, x)
		out[i] = v.s.Score(v.img)
	}
}

func (v *vaeScorer) Explain(in Input) []Reason {
	v.fill(v.img, in)
	e := v.s.Score(v.img)
	return []Reason{{Feature: "prefix", Text: fmt.Sprintf("first bytes reconstruct poorly (error %.3g)", e), Weight: e}}
}
