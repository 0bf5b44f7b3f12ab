package detector

import (
	_ "embed"
	"errors"
	"fmt"
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
