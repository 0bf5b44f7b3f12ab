package detector

import (
	_ "embed"
	"errors"
	"fmt"

	"github.com/tlsentry/tlsentry/detector/evidence"
	"github.com/tlsentry/tlsentry/detector/model"
)

// defaultModel is the model shipped in the binary (make model rebuilds it
// from the public captures). Empty in a build made before it existed.
//
//go:embed default.model
var defaultModel []byte

// ErrNoDefault is returned when the binary was built without a default model.
var ErrNoDefault = errors.New("this build has no embedded default model: pass -model FILE")

// Default loads the embedded default model.
func Default() (*Model, error) {
	if len(defaultModel) == 0 {
		return nil, ErrNoDefault
	}
	m, err := Load(defaultModel)
	if err != nil {
		return nil, fmt.Errorf("embedded default model: %w", err)
	}
	return m, nil
}

// DefaultEvidence is the embedded default model's evidence table: the
// protocol checks calibrated on the public corpus, for models trained on
// one network to carry (nil when the build has no default model).
func DefaultEvidence() (*evidence.Table, error) {
	m, err := Default()
	if err != nil {
		return nil, err
	}
	var t evidence.Table
	if err := unmarshalSection(m.File, evidenceSection, &t); err != nil {
		return nil, fmt.Errorf("embedded default model: %w", err)
	}
	return &t, nil
}

// Evidence is a hybrid model's evidence table, weighed as its scorers
// weigh it (a breach the corpus never showed raised to the model's
// threshold); nil for the kinds that have none.
func (m *Model) Evidence() (*evidence.Table, error) {
	if m.Kind() != model.KindHybrid {
		return nil, nil
	}
	return fileEvidence(m.File)
}
