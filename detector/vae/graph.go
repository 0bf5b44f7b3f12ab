package vae

import (
	"fmt"
	"slices"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// denseNodes are the graph nodes of one dense layer: weight (In, Out) and
// bias (1, Out).
type denseNodes struct {
	w, b *G.Node
}

// graph is the VAE as a gorgonia graph for a fixed batch size. The inputs
// are x (batch, Pixels) and eps (batch, Latent); eps all zero gives the
// deterministic pass through the latent mean.
//
// A training graph has the loss and the backward pass. A forward graph
// stops at the reconstructions: in a graph with the loss, gorgonia computes
// the loss's difference in place in out's memory, so out's value after
// RunAll is not the reconstruction.
type graph struct {
	g      *G.ExprGraph
	batch  int
	x, eps *G.Node
	params [NumLayers]denseNodes

	mu, logVar *G.Node // (batch, Latent)
	out        *G.Node // (batch, Pixels), the reconstructions
	rec, kl    *G.Node // scalars, averaged over the batch (training graph only)
	loss       *G.Node // rec + kl (training graph only)
}

// newGraph builds the graph with copies of w's parameters (gorgonia updates
// the backing arrays in place): a training graph (loss and backward pass)
// if train, else a forward graph.
func newGraph(w *Weights, batch int, train bool) (m *graph, err error) {
	defer recoverGraph(&err)
	g := G.NewGraph()
	m = &graph{g: g, batch: batch}
	m.x = G.NewMatrix(g, tensor.Float32, G.WithShape(batch, Pixels), G.WithName("x"))
	m.eps = G.NewMatrix(g, tensor.Float32, G.WithShape(batch, Latent), G.WithName("eps"))
	for i, l := range w.Layers {
		wt := tensor.New(tensor.WithShape(l.In, l.Out), tensor.WithBacking(slices.Clone(l.W)))
		bt := tensor.New(tensor.WithShape(1, l.Out), tensor.WithBacking(slices.Clone(l.B)))
		m.params[i] = denseNodes{
			w: G.NewMatrix(g, tensor.Float32, G.WithShape(l.In, l.Out), G.WithName(l.Name+"_w"), G.WithValue(wt)),
			b: G.NewMatrix(g, tensor.Float32, G.WithShape(1, l.Out), G.WithName(l.Name+"_b"), G.WithValue(bt)),
		}
	}

	h := must(G.Rectify(dense(m.x, m.params[Enc])))
	m.mu = dense(h, m.params[Mu])
	m.logVar = dense(h, m.params[LogVar])
	std := must(G.Exp(must(G.HadamardProd(m.logVar, G.NewConstant(float32(0.5))))))
	z := must(G.Add(m.mu, must(G.HadamardProd(std, m.eps))))
	h2 := must(G.Rectify(dense(z, m.params[Dec])))
	m.out = must(G.Sigmoid(dense(h2, m.params[Out])))
	if !train {
		return m, nil
	}

	n := G.NewConstant(float32(batch))
	diff := must(G.Sub(m.out, m.x))
	m.rec = must(G.Div(must(G.Sum(must(G.Square(diff)))), n))
	// KL(N(mu, exp(logvar)) || N(0, I)) = -1/2 Σ (1 + logvar - mu² - exp(logvar))
	t := must(G.Sub(
		must(G.Add(G.NewConstant(float32(1)), m.logVar)),
		must(G.Add(must(G.Square(m.mu)), must(G.Exp(m.logVar))))))
	m.kl = must(G.Div(must(G.HadamardProd(G.NewConstant(float32(-0.5)), must(G.Sum(t)))), n))
	m.loss = must(G.Add(m.rec, m.kl))

	if _, err := G.Grad(m.loss, m.learnables()...); err != nil {
		return nil, fmt.Errorf("vae graph: %w", err)
	}
	return m, nil
}

// dense is x (batch, in) · W (in, out) + b (1, out), the bias broadcast
// along the batch axis.
func dense(x *G.Node, p denseNodes) *G.Node {
	return must(G.BroadcastAdd(must(G.Mul(x, p.w)), p.b, nil, []byte{0}))
}

// learnables lists the parameter nodes, each layer's weight then its bias.
func (m *graph) learnables() G.Nodes {
	ns := make(G.Nodes, 0, 2*NumLayers)
	for _, p := range m.params {
		ns = append(ns, p.w, p.b)
	}
	return ns
}

// weights copies the graph's current parameters out.
func (m *graph) weights() *Weights {
	w := &Weights{}
	for i, p := range m.params {
		w.Layers[i] = Layer{
			LayerSpec: arch[i],
			W:         slices.Clone(p.w.Value().Data().([]float32)),
			B:         slices.Clone(p.b.Value().Data().([]float32)),
		}
	}
	return w
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
		*err = fmt.Errorf("vae graph: %w", ge.err)
	}
}
