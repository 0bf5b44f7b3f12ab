package detector

import (
	"fmt"

	"github.com/tlsentry/tlsentry/detector/cnn"
	"github.com/tlsentry/tlsentry/detector/iforest"
	"github.com/tlsentry/tlsentry/detector/image"
	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/flow"
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
	var forest iforest.Forest
	data := f.Section(iforestSection)
	if data == nil {
		return nil, fmt.Errorf("%w: section %q is missing", model.ErrCorrupt, iforestSection)
	}
	if err := forest.UnmarshalBinary(data); err != nil {
		return nil, fmt.Errorf("%w: isolation forest: %w", model.ErrCorrupt, err)
	}
	if forest.NumFeatures() != cnn.CodeSize {
		return nil, fmt.Errorf("%w: the forest takes %d features, the encoder gives %d", model.ErrCorrupt, forest.NumFeatures(), cnn.CodeSize)
	}
	return &Model{File: f, newScorer: func() (Scorer, error) {
		enc, err := cnn.NewEncoder(w, scoreBatch)
		if err != nil {
			return nil, err
		}
		return newCodeScorer(enc, &forest), nil
	}}, nil
}

// codeScorer images flows, encodes them and scores the codes.
type codeScorer struct {
	enc    *cnn.Encoder
	forest *iforest.Forest
	images []float32
	codes  []float32
	rows   [][]float32
	scores []float64
}

func newCodeScorer(enc *cnn.Encoder, forest *iforest.Forest) *codeScorer {
	s := &codeScorer{
		enc:    enc,
		forest: forest,
		images: make([]float32, scoreBatch*image.Pixels),
		codes:  make([]float32, scoreBatch*cnn.CodeSize),
		rows:   make([][]float32, scoreBatch),
		scores: make([]float64, scoreBatch),
	}
	for i := range s.rows {
		s.rows[i] = s.codes[i*cnn.CodeSize : (i+1)*cnn.CodeSize]
	}
	return s
}

func (s *codeScorer) Score(flows []*flow.Flow, out []float64) {
	for start := 0; start < len(flows); start += scoreBatch {
		n := min(scoreBatch, len(flows)-start)
		s.encode(flows[start : start+n])
		s.forest.ScoreBatch(s.rows[:n], out[start:start+n])
	}
}

// encode fills s.codes for up to scoreBatch flows.
func (s *codeScorer) encode(flows []*flow.Flow) {
	for i, f := range flows {
		image.Fill(s.images[i*image.Pixels:(i+1)*image.Pixels], f.Prefix)
	}
	s.enc.Encode(s.images, len(flows), s.codes)
}
