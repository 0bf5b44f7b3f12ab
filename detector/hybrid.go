package detector

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/tlsentry/tlsentry/detector/cnn"
	"github.com/tlsentry/tlsentry/detector/features"
	"github.com/tlsentry/tlsentry/detector/iforest"
	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/detector/novelty"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// A hybrid model scores a flow with an isolation forest over its CNN code
// joined with its handshake features, plus its novelty against training
// (in bits) times a scale.
const (
	noveltySection   = "novelty"
	paramFeatures    = "features"
	paramScale       = "novelty_scale"
	defaultScale     = 0.1
	maxNoveltyReason = 5
	maxForestReasons = 3
)

func loadHybrid(f *model.File) (*Model, error) {
	// A model of an older feature layout that this build extends reads
	// the first size.Len features.
	size, ok := features.Layout(f.Meta.Params[paramFeatures])
	if !ok {
		return nil, fmt.Errorf("%w: hybrid model uses features %q, this build has %q", model.ErrUnsupported, f.Meta.Params[paramFeatures], features.Schema)
	}
	scale, err := strconv.ParseFloat(f.Meta.Params[paramScale], 64)
	if err != nil || scale < 0 || scale > 1e6 {
		return nil, fmt.Errorf("%w: hybrid novelty scale %q", model.ErrCorrupt, f.Meta.Params[paramScale])
	}
	w, err := readCNN(f)
	if err != nil {
		return nil, err
	}
	forest, err := readForest(f, cnn.CodeSize+size.Len)
	if err != nil {
		return nil, err
	}
	var prof novelty.Profile
	data := f.Section(noveltySection)
	if data == nil {
		return nil, fmt.Errorf("%w: section %q is missing", model.ErrCorrupt, noveltySection)
	}
	if err := prof.UnmarshalBinary(data); err != nil {
		return nil, fmt.Errorf("%w: %w", model.ErrCorrupt, err)
	}
	return &Model{File: f, newScorer: func() (Scorer, error) {
		enc, err := cnn.NewEncoder(w, scoreBatch)
		if err != nil {
			return nil, err
		}
		return newHybridScorer(newCodeScorer(enc, nil, masked(f)), forest, &prof, scale, size.Len), nil
	}}, nil
}

// readForest decodes the model's forest and checks its width.
func readForest(f *model.File, width int) (*iforest.Forest, error) {
	var forest iforest.Forest
	data := f.Section(iforestSection)
	if data == nil {
		return nil, fmt.Errorf("%w: section %q is missing", model.ErrCorrupt, iforestSection)
	}
	if err := forest.UnmarshalBinary(data); err != nil {
		return nil, fmt.Errorf("%w: isolation forest: %w", model.ErrCorrupt, err)
	}
	if forest.NumFeatures() != width {
		return nil, fmt.Errorf("%w: the forest takes %d features, the model gives it %d", model.ErrCorrupt, forest.NumFeatures(), width)
	}
	return &forest, nil
}

type hybridScorer struct {
	nfeat   int // handshake features the forest takes (the model's layout)
	code    *codeScorer
	forest  *iforest.Forest
	prof    *novelty.Profile
	scale   float64
	vals    []features.Values
	joined  []float32
	rows    [][]float32
	contrib []float64
	found   []novelty.Finding
}

func newHybridScorer(code *codeScorer, forest *iforest.Forest, prof *novelty.Profile, scale float64, nfeat int) *hybridScorer {
	row := cnn.CodeSize + nfeat
	s := &hybridScorer{
		nfeat: nfeat, code: code, forest: forest, prof: prof, scale: scale,
		vals:    make([]features.Values, scoreBatch),
		joined:  make([]float32, scoreBatch*row),
		rows:    make([][]float32, scoreBatch),
		contrib: make([]float64, row),
	}
	for i := range s.rows {
		s.rows[i] = s.joined[i*row : (i+1)*row]
	}
	return s
}

func (s *hybridScorer) Score(in []Input, out []float64) { s.score(in, out, false) }

// score scores flows; with leaveOut they are training flows, each scored
// against the novelty profile without itself.
func (s *hybridScorer) score(in []Input, out []float64, leaveOut bool) {
	for start := 0; start < len(in); start += scoreBatch {
		n := min(scoreBatch, len(in)-start)
		batch := in[start : start+n]
		s.fill(batch)
		s.forest.ScoreBatch(s.rows[:n], out[start:start+n])
		for i := range batch {
			bits, _ := s.prof.Score(&s.vals[i], leaveOut, nil)
			out[start+i] += s.scale * bits
		}
	}
}

// fill encodes a batch and builds its joined rows.
func (s *hybridScorer) fill(batch []Input) {
	s.code.encode(batch)
	for i, x := range batch {
		h := x.TLS
		if h == nil {
			h = tlsparse.FromFlow(x.Flow, nil)
		}
		features.Extract(x.Flow, h, &s.vals[i])
		copy(s.rows[i], s.code.rows[i])
		copy(s.rows[i][cnn.CodeSize:], s.vals[i].Vec[:s.nfeat])
	}
}

func (s *hybridScorer) Explain(in Input) []Reason {
	s.fill([]Input{in})
	var reasons []Reason
	_, s.found = s.prof.Score(&s.vals[0], false, s.found[:0])
	slices.SortStableFunc(s.found, func(a, b novelty.Finding) int { return cmp.Compare(b.Bits, a.Bits) })
	for i := range s.found[:min(len(s.found), maxNoveltyReason)] {
		f := &s.found[i]
		reasons = append(reasons, Reason{Feature: f.Name(), Text: f.Text(), Weight: f.Bits})
	}
	s.forest.Contributions(s.rows[0], s.contrib)
	forest := []Reason{codeReason(sum(s.contrib[:cnn.CodeSize]))}
	defs := features.Defs()
	for j, c := range s.contrib[cnn.CodeSize:] {
		d := defs[j]
		forest = append(forest, Reason{Feature: d.Name, Weight: c,
			Text: fmt.Sprintf("%s %s set the flow apart: isolated it %.1f levels sooner", d.Label, d.Text(s.vals[0].Vec[j]), c)})
	}
	slices.SortStableFunc(forest, func(a, b Reason) int { return cmp.Compare(b.Weight, a.Weight) })
	for _, r := range forest[:maxForestReasons] {
		if r.Weight >= minForestReason {
			reasons = append(reasons, r)
		}
	}
	return reasons
}

// minForestReason is the least path shortening (in tree levels) worth
// naming as a reason.
const minForestReason = 0.5

// hybridTrees is the hybrid model's default forest size: with 100 trees,
// recall at a strict false-positive rate swung between seeds.
const hybridTrees = 500

func trainHybrid(ctx context.Context, f *model.File, set *trainSet, cfg TrainConfig) error {
	codes, err := trainEncoder(ctx, f, set.train, set.val, cfg)
	if err != nil {
		return err
	}
	certs := tlsparse.NewCertCache(1024)
	vals := make([]*features.Values, len(set.flows))
	rows := make([][]float32, len(set.flows))
	for i, fl := range set.flows {
		vals[i] = new(features.Values)
		features.Extract(fl, tlsparse.FromFlow(fl, certs), vals[i])
		rows[i] = append(codes[i], vals[i].Vec[:]...)
	}
	prof, err := novelty.Fit(vals)
	if err != nil {
		return err
	}
	data, err := prof.MarshalBinary()
	if err != nil {
		return err
	}
	f.Sections = append(f.Sections, model.Section{Name: noveltySection, Data: data})
	f.Meta.Params[paramFeatures] = features.Schema
	f.Meta.Params[paramScale] = strconv.FormatFloat(defaultScale, 'g', -1, 64)
	return addForest(f, rows, cfg)
}
