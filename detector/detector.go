package detector

import (
	"fmt"

	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/detector/scoring"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/internal/boundedfile"
)

// Input, Reason and Scorer live in package scoring, which the sensor
// imports without the models' dependencies.
type (
	Input  = scoring.Input
	Reason = scoring.Reason
	Scorer = scoring.Scorer
)

// Inputs wraps flows without parsed handshakes.
func Inputs(flows []*flow.Flow) []Input { return scoring.Inputs(flows) }

// Model is a loaded model file.
type Model struct {
	File      *model.File
	newScorer func() (Scorer, error)
}

// Kind is the model kind (model.KindCNNIForest, model.KindVAE).
func (m *Model) Kind() string { return m.File.Meta.Kind }

// ID identifies the model file's contents.
func (m *Model) ID() string { return m.File.ID }

// Name is how alerts name the model: kind and id.
func (m *Model) Name() string { return m.Kind() + "/" + m.ID() }

// Masked reports whether the model images prefixes with their random
// handshake fields zeroed.
func (m *Model) Masked() bool { return m.File.Meta.Layout == model.LayoutPrefix1024Masked }

// Threshold is the default alert threshold stored in the model.
func (m *Model) Threshold() float64 { return m.File.Meta.Threshold }

// NewScorer returns a scorer for one worker.
func (m *Model) NewScorer() (Scorer, error) { return m.newScorer() }

// Load decodes a model file and checks that it holds what its kind needs.
func Load(data []byte) (*Model, error) {
	f, err := model.Decode(data)
	if err != nil {
		return nil, err
	}
	switch f.Meta.Kind {
	case model.KindCNNIForest:
		return loadCNNIForest(f)
	case model.KindVAE:
		return loadVAE(f)
	case model.KindHybrid:
		return loadHybrid(f)
	}
	return nil, fmt.Errorf("%w: this build cannot score %q models yet", model.ErrUnsupported, f.Meta.Kind)
}

// MaxFileSize bounds a model file: the default model is a few MB; a
// forest of many trees over many features stays far below this.
const MaxFileSize = 256 << 20

// LoadFile loads a model file from disk. It must be a regular file of at
// most MaxFileSize bytes, checked before anything is read: a device
// (/dev/zero), a pipe or a directory is refused at once.
func LoadFile(path string) (*Model, error) {
	data, err := boundedfile.Read(path, modelFile)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	m, err := Load(data)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", path, err)
	}
	return m, nil
}

// modelFile is what a model file may be: a regular file of at most
// MaxFileSize bytes (checked before it is read: /dev/zero never ends).
var modelFile = boundedfile.Kind{Noun: "a model file", Hint: ": copy the model into a file", Max: MaxFileSize}
