package cnn

import (
	"fmt"
	"slices"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// convNodes are the graph nodes of one convolution: weight (Out, In, 3, 3)
// and bias (1, Out, 1, 1).
type convNodes struct {
	w, b *G.Node
}

// newConvNodes makes the parameter nodes of c in g, with copies of c's data
// (gorgonia works on the backing arrays in place).
func newConvNodes(g *G.ExprGraph, c Conv) convNodes {
	wt := tensor.New(tensor.WithShape(c.Out, c.In, Kernel, Kernel), tensor.WithBacking(slices.Clone(c.W)))
	bt := tensor.New(tensor.WithShape(1, c.Out, 1, 1), tensor.WithBacking(slices.Clone(c.B)))
	return convNodes{
		w: G.NewTensor(g, tensor.Float32, 4, G.WithShape(c.Out, c.In, Kernel, Kernel), G.WithName(c.Name+"_w"), G.WithValue(wt)),
		b: G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, c.Out, 1, 1), G.WithName(c.Name+"_b"), G.WithValue(bt)),
	}
}

// graphError carries an error out of graph construction through panic, so
// that the construction code reads as a straight sequence of layers.
type graphError struct{ err error }

func must(n *G.Node, err error) *G.Node {
	if err != nil {
		panic(graphError{err})
	}
	return n
}

// recoverGraph turns a panic from must into *err; other panics go on.
func recoverGraph(err *error) {
	if r := recover(); r != nil {
		ge, ok := r.(graphError)
		if !ok {
			panic(r)
		}
		*err = fmt.Errorf("cnn graph: %w", ge.err)
	}
}

// conv3x3 is a "same" 3x3 convolution (pad 1, stride 1) plus bias.
func conv3x3(x *G.Node, p convNodes) *G.Node {
	y := must(G.Conv2d(x, p.w, tensor.Shape{Kernel, Kernel}, []int{1, 1}, []int{1, 1}, []int{1, 1}))
	// The bias (1,C,1,1) is broadcast along its axes 0 (batch), 2 and 3.
	return must(G.BroadcastAdd(y, p.b, nil, []byte{0, 2, 3}))
}

func pool2(x *G.Node) *G.Node {
	return must(G.MaxPool2D(x, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2}))
}

// encoderGraph appends the encoder to x (B,1,32,32) and returns the code
// node (B,2,8,8).
func encoderGraph(x *G.Node, p []convNodes) *G.Node {
	h := pool2(must(G.Rectify(conv3x3(x, p[Enc1]))))
	h = pool2(must(G.Rectify(conv3x3(h, p[Enc2]))))
	return must(G.Rectify(conv3x3(h, p[Enc3])))
}

// autoencoder is the whole network as a gorgonia graph for a fixed batch.
type autoencoder struct {
	g      *G.ExprGraph
	batch  int
	x      *G.Node // input (B,1,32,32)
	params [NumConvs]convNodes
	code   *G.Node // (B,2,8,8)
	logits *G.Node // (B,1,32,32), before the sigmoid
	loss   *G.Node // scalar BCE; nil unless built for training
}

// newAutoencoder builds the graph with w's values. With train set, it also
// builds the loss and its gradients with respect to every parameter.
//
// The loss is binary cross-entropy written on the logits z:
// -(x log σ(z) + (1-x) log(1-σ(z))) = softplus(z) - x·z, averaged over all
// pixels. gorgonia's BinaryXent takes log of the float32 sigmoid, which
// gives -Inf once the sigmoid saturates; this form is finite for every z.
func newAutoencoder(w *Weights, batch int, train bool) (a *autoencoder, err error) {
	defer recoverGraph(&err)
	g := G.NewGraph()
	a = &autoencoder{g: g, batch: batch}
	a.x = G.NewTensor(g, tensor.Float32, 4, G.WithShape(batch, 1, Side, Side), G.WithName("x"))
	for i, c := range w.Convs {
		a.params[i] = newConvNodes(g, c)
	}
	a.code = encoderGraph(a.x, a.params[:NumEncoder])
	h := must(G.Upsample2D(a.code, 2)) // the argument is the scale factor
	h = must(G.Rectify(conv3x3(h, a.params[Dec1])))
	h = must(G.Upsample2D(h, 2))
	a.logits = conv3x3(h, a.params[Dec2])
	if train {
		a.loss = must(G.Mean(must(G.Sub(must(G.Softplus(a.logits)), must(G.HadamardProd(a.x, a.logits))))))
		if _, err := G.Grad(a.loss, a.learnables()...); err != nil {
			return nil, fmt.Errorf("cnn graph: gradients: %w", err)
		}
	}
	return a, nil
}

func (a *autoencoder) learnables() G.Nodes {
	ns := make(G.Nodes, 0, 2*NumConvs)
	for _, p := range a.params {
		ns = append(ns, p.w, p.b)
	}
	return ns
}

// weights copies the current parameter values out.
func (a *autoencoder) weights() *Weights {
	w := &Weights{}
	for i, p := range a.params {
		w.Convs[i] = Conv{
			ConvSpec: arch[i],
			W:        slices.Clone(p.w.Value().Data().([]float32)),
			B:        slices.Clone(p.b.Value().Data().([]float32)),
		}
	}
	return w
}

// setWeights overwrites the parameter values in place.
func (a *autoencoder) setWeights(w *Weights) {
	for i, p := range a.params {
		copy(p.w.Value().Data().([]float32), w.Convs[i].W)
		copy(p.b.Value().Data().([]float32), w.Convs[i].B)
	}
}
