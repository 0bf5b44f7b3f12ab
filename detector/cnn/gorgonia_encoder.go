package cnn

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// GorgoniaEncoder runs the encoder half of the autoencoder as a gorgonia
// graph, for a batch size fixed at construction. It is the reference the
// fast Encoder is checked against; it is slow and allocates heavily. It is
// not safe for concurrent use.
type GorgoniaEncoder struct {
	batch int
	x     *G.Node
	code  *G.Node
	in    *tensor.Dense
	vm    G.VM
}

// NewGorgoniaEncoder builds the encoder graph for batches of batch images
// with a copy of w's encoder weights.
func NewGorgoniaEncoder(w *Weights, batch int) (e *GorgoniaEncoder, err error) {
	if batch < 1 {
		return nil, fmt.Errorf("cnn: batch %d: must be at least 1", batch)
	}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	defer recoverGraph(&err)
	g := G.NewGraph()
	e = &GorgoniaEncoder{batch: batch}
	e.x = G.NewTensor(g, tensor.Float32, 4, G.WithShape(batch, 1, Side, Side), G.WithName("x"))
	p := make([]convNodes, NumEncoder)
	for i := range p {
		p[i] = newConvNodes(g, w.Convs[i])
	}
	e.code = encoderGraph(e.x, p)
	e.in = tensor.New(tensor.WithShape(batch, 1, Side, Side), tensor.WithBacking(make([]float32, batch*Pixels)))
	e.vm = G.NewTapeMachine(g)
	return e, nil
}

// Batch is the number of images each call to Encode takes.
func (e *GorgoniaEncoder) Batch() int { return e.batch }

// Encode maps Batch() images (len(images) = Batch()*Pixels) to their codes,
// written to codes[:Batch()*CodeSize].
func (e *GorgoniaEncoder) Encode(images, codes []float32) error {
	if len(images) != e.batch*Pixels {
		return fmt.Errorf("cnn: %d image values, want %d (batch %d)", len(images), e.batch*Pixels, e.batch)
	}
	if len(codes) < e.batch*CodeSize {
		return fmt.Errorf("cnn: room for %d code values, want %d", len(codes), e.batch*CodeSize)
	}
	copy(e.in.Data().([]float32), images)
	if err := G.Let(e.x, e.in); err != nil {
		return fmt.Errorf("cnn: gorgonia encoder input: %w", err)
	}
	defer e.vm.Reset()
	if err := e.vm.RunAll(); err != nil {
		return fmt.Errorf("cnn: gorgonia encoder: %w", err)
	}
	copy(codes, e.code.Value().Data().([]float32))
	return nil
}

// Close releases the graph's machine.
func (e *GorgoniaEncoder) Close() error { return e.vm.Close() }
