// Package testmodel trains, once per test process, the small hybrid model
// that the daemon's and the pipeline's tests score with: fitted on benign
// labset flows in a few seconds, so that those tests do not depend on
// what the embedded default model makes of their traffic.
package testmodel

import (
	"context"
	"sync"

	"github.com/tlsentry/tlsentry/detector"
	"github.com/tlsentry/tlsentry/detector/model"
	"github.com/tlsentry/tlsentry/internal/labset"
)

var hybrid struct {
	once sync.Once
	data []byte
	err  error
}

// Hybrid returns the encoded model file; every call returns the same one.
func Hybrid() ([]byte, error) {
	hybrid.once.Do(func() {
		ctx := context.Background()
		flows, err := labset.Flows(ctx, labset.Benign, 240, 11)
		if err != nil {
			hybrid.err = err
			return
		}
		file, err := detector.Train(ctx, flows, detector.TrainConfig{Kind: model.KindHybrid, Epochs: 1, Trees: 50, Seed: 1})
		if err != nil {
			hybrid.err = err
			return
		}
		hybrid.data, hybrid.err = file.Encode()
	})
	return hybrid.data, hybrid.err
}
