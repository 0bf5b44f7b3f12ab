package detector

import (
	"fmt"

	"github.com/tlsentry/tlsentry/detector/cnn"
	"github.com/tlsentry/tlsentry/detector/iforest"
	"github.com/tlsentry/tlsentry/detector/model"
)

// Section names of a cnn-iforest model.
const (
	cnnPrefix      = "cnn/"
	iforestSection = "iforest"
)

// scoreBatch is how many flows a scorer encodes at once.
const scoreBatch = 256

func addCNN(f *model.File, w *cnn.Weights) {
	for _, t := range w.Tensors() {
		f.AddFloat32s(cnnPrefix+t.Name, t.Data)
	}
}

func readCNN(f *model.File) (*cnn.Weights, error) {
	ts := cnn.NewWeights(0).Tensors() // names and shapes
	for i := range ts {
		n := 1
		for _, d := range ts[i].Shape {
			n *= d
		}
		data, err := f.Float32s(cnnPrefix+ts[i].Name, n)
		if err != nil {
			return nil, err
		}
		ts[i].Data = data
	}
	w, err := cnn.FromTensors(ts)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", model.ErrCorrupt, err)
	}
	return w, nil
}

func loadCNNIForest(f *model.File) (*Model, error) {
	w, err := readCNN(f)
	if err != nil {
		return nil, err
	}
	forest, err := readForest(f, cnn.CodeSize)
	if err != nil {
		return nil, err
	}
	return &Model{File: f, newScorer: func() (Scorer, error) {
		enc, err := cnn.NewEncoder(w, scoreBatch)
		if err != nil {
			return nil, err
		}
		return newCodeScorer(enc, forest, masked(f)), nil
	}}, nil
}

func masked(f *model.File) bool { return f.Meta.Layout == model.LayoutPrefix1024Masked }

// codeScorer images flows, encodes them and scores the codes.
type codeScorer struct {
	imager
	enc      *cnn.Encoder
	forest   *iforest.Forest
	prefixes [][]byte // the batch's image bytes (the encoder reads them as an image)
	masks    [][]byte // per flow of the batch, the masked prefix (masked layout)
	codes    []float32
	rows     [][]float32
	scores   []float64
}

func newCodeScorer(enc *cnn.Encoder, forest *iforest.Forest, masked bool) *codeScorer {
	s := &codeScorer{
		imager:   imager{masked: masked},
		enc:      enc,
		forest:   forest,
		prefixes: make([][]byte, scoreBatch),
		codes:    make([]float32, scoreBatch*cnn.CodeSize),
		rows:     make([][]float32, scoreBatch),
		scores:   make([]float64, scoreBatch),
	}
	if masked {
		s.masks = make([][]byte, scoreBatch)
	}
	for i := range s.rows {
		s.rows[i] = s.codes[i*cnn.CodeSize : (i+1)*cnn.CodeSize]
	}
	return s
}

func (s *codeScorer) Score(in []Input, out []float64) {
	for start := 0; start < len(in); start += scoreBatch {
		n := min(scoreBatch, len(in)-start)
		s.encode(in[start : start+n])
		s.forest.ScoreBatch(s.rows[:n], out[start:start+n])
	}
}

func (s *codeScorer) Explain(in Input) []Reason {
	s.encode([]Input{in})
	contrib := make([]float64, cnn.CodeSize)
	s.forest.Contributions(s.rows[0], contrib)
	return []Reason{codeReason(sum(contrib))}
}

// codeReason words how much the CNN code isolated a flow.
func codeReason(levels float64) Reason {
	return Reason{Feature: "prefix.cnn_code", Text: fmt.Sprintf("first bytes unlike training: their CNN code isolated the flow %.1f levels sooner than a typical one", levels), Weight: levels}
}

func sum(xs []float64) float64 {
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t
}

// encode fills s.codes for up to scoreBatch flows, the encoder reading
// each image's bytes without a float copy of it.
func (s *codeScorer) encode(in []Input) {
	for i, x := range in {
		if s.masked {
			s.masks[i] = s.bytes(s.masks[i], x)
			s.prefixes[i] = s.masks[i]
			continue
		}
		s.prefixes[i] = s.bytes(nil, x)
	}
	s.enc.EncodePrefixes(s.prefixes, len(in), s.codes)
	clear(s.prefixes[:len(in)]) // let the flows go
}
