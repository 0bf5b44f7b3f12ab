// Package dataset gathers training and evaluation flows from capture
// files: it runs them through the sensor's flow pipeline, keeps the flows
// that carry payload, and splits files (never flows of one file) into a
// training part and a held-out part by a fixed rule, so that a model is
// always evaluated on captures it has not seen.
package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"path/filepath"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor"
)

// Flow is one flow of a data set with where it came from.
type Flow struct {
	*flow.Flow
	Source string // capture file it was read from
}

// Load reads each file (separately: flows never span files) and returns
// the flows with payload, in file order. Problems in a file are returned
// together after every file was read; the flows read are kept.
func Load(ctx context.Context, files []string, cfg flow.Config) ([]Flow, error) {
	var out []Flow
	var problems []error
	for _, path := range files {
		var got []*flow.Flow
		table, err := flow.NewTable(cfg, func(f *flow.Flow) { got = append(got, f) })
		if err != nil {
			return nil, err
		}
		r := &sensor.FileReader{Decoder: sensor.NewDecoder(), Flows: table}
		if err := r.ReadFiles(ctx, []string{path}); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			problems = append(problems, fmt.Errorf("%s: %w", path, err))
		}
		table.Flush()
		for _, f := range got {
			if len(f.Prefix) > 0 {
				out = append(out, Flow{Flow: f, Source: path})
			}
		}
	}
	if len(problems) > 0 {
		return out, fmt.Errorf("dataset: %d file(s) with problems, first: %w", len(problems), problems[0])
	}
	return out, nil
}

// HeldOut reports whether a capture file belongs to the held-out part:
// one file in five, chosen by a hash of its base name so that the split
// does not depend on where the files live or in which order they come.
func HeldOut(path string) bool {
	sum := sha256.Sum256([]byte(filepath.Base(path)))
	return binary.BigEndian.Uint64(sum[:8])%5 == 0
}

// Split divides files into training and held-out files by HeldOut.
func Split(files []string) (train, heldOut []string) {
	for _, f := range files {
		if HeldOut(f) {
			heldOut = append(heldOut, f)
		} else {
			train = append(train, f)
		}
	}
	return train, heldOut
}
