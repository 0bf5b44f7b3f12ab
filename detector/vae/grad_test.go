package vae

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestGradientsMatchFiniteDifferences checks gorgonia's gradients of the
// training loss (epsilon = 0) against central differences of the same loss
// computed by the Scorer, for a few parameters of every layer. It guards
// against in-place reuse of values that the backward pass still needs.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	w, _ := trainedModel(t)
	w = w.Clone()
	imgs := normalImages(15, 4)
	n := len(imgs)
	m, err := newGraph(w, n, true)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(m.g, G.BindDualValues(m.learnables()...))
	defer vm.Close()
	x := make([]float32, 0, n*Pixels)
	for _, img := range imgs {
		x = append(x, img...)
	}
	if err := G.Let(m.x, tensor.New(tensor.WithShape(n, Pixels), tensor.WithBacking(x))); err != nil {
		t.Fatal(err)
	}
	if err := G.Let(m.eps, tensor.New(tensor.WithShape(n, Latent), tensor.WithBacking(make([]float32, n*Latent)))); err != nil {
		t.Fatal(err)
	}
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	loss := func() float64 {
		s, err := NewScorer(w)
		if err != nil {
			t.Fatal(err)
		}
		rec, kl := s.lossTerms(imgs)
		return (rec + kl) / float64(n)
	}
	if got, want := loss(), float64(m.loss.Value().Data().(float32)); math.Abs(got-want) > 1e-4*want {
		t.Fatalf("loss: Scorer %v, gorgonia %v", got, want)
	}

	// The encoder unit with the largest bias gradient, so that it is active.
	eg, err := m.params[Enc].b.Grad()
	if err != nil {
		t.Fatal(err)
	}
	j := 0
	for k, v := range eg.Data().([]float32) {
		if math.Abs(float64(v)) > math.Abs(float64(eg.Data().([]float32)[j])) {
			j = k
		}
	}
	checks := []struct {
		layer int
		bias  bool
		i     int
	}{
		{Enc, false, 0*Hidden + j}, {Enc, false, 40*Hidden + j}, {Enc, true, j}, {Mu, true, 0}, {LogVar, true, 1},
		{Dec, true, 3}, {Dec, false, 1*Hidden + 3}, {Out, true, 0}, {Out, true, 700}, {Out, false, 5*Pixels + 0},
	}
	for _, c := range checks {
		node, data, name := m.params[c.layer].w, w.Layers[c.layer].W, w.Layers[c.layer].Name+".w"
		if c.bias {
			node, data, name = m.params[c.layer].b, w.Layers[c.layer].B, w.Layers[c.layer].Name+".b"
		}
		g, err := node.Grad()
		if err != nil {
			t.Fatal(err)
		}
		grad := float64(g.Data().([]float32)[c.i])
		const h = 4e-3
		orig := data[c.i]
		data[c.i] = orig + h
		up := loss()
		data[c.i] = orig - h
		down := loss()
		data[c.i] = orig
		fd := (up - down) / (2 * h)
		t.Logf("%s[%d]: gorgonia %.5g, finite difference %.5g", name, c.i, grad, fd)
		if math.Abs(grad-fd) > 0.01*math.Abs(fd)+1e-4 {
			t.Errorf("%s[%d]: gorgonia gradient %.5g, finite difference %.5g", name, c.i, grad, fd)
		}
	}
	vm.Reset()
}
