package detector

import (
	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/detector/novelty"
)

// FileDrift is a hybrid model file's novelty drift (novelty.Drift): nil
// when its profile has none (a site's model, or one built before).
func FileDrift(f *model.File) (*novelty.Drift, error) {
	var prof novelty.Profile
	if err := unmarshalSection(f, noveltySection, &prof); err != nil {
		return nil, err
	}
	return prof.Drift, nil
}
