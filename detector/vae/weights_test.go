package vae

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestNewWeightsShapes(t *testing.T) {
	w := NewWeights(1)
	if err := w.Validate(); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name    string
		in, out int
	}{{"enc", 1024, 256}, {"mu", 256, 2}, {"logvar", 256, 2}, {"dec", 2, 256}, {"out", 256, 1024}}
	for i, l := range w.Layers {
		if l.Name != want[i].name || l.In != want[i].in || l.Out != want[i].out {
			t.Errorf("layer %d is %s %d->%d, want %s %d->%d", i, l.Name, l.In, l.Out, want[i].name, want[i].in, want[i].out)
		}
		if len(l.W) != l.In*l.Out || len(l.B) != l.Out {
			t.Errorf("%s: %d weights, %d biases", l.Name, len(l.W), len(l.B))
		}
		lim := float32(math.Sqrt(6 / float64(l.In+l.Out)))
		var maxAbs float32
		for _, v := range l.W {
			maxAbs = max(maxAbs, float32(math.Abs(float64(v))))
		}
		if maxAbs > lim || maxAbs < 0.9*lim {
			t.Errorf("%s: max |w| %v, want just under the Glorot limit %v", l.Name, maxAbs, lim)
		}
		if slices.ContainsFunc(l.B, func(v float32) bool { return v != 0 }) {
			t.Errorf("%s: biases not zero", l.Name)
		}
	}
	if !weightsEqual(w, NewWeights(1)) {
		t.Error("NewWeights(1) differs between calls")
	}
	if weightsEqual(w, NewWeights(2)) {
		t.Error("NewWeights(1) and NewWeights(2) are equal")
	}
}

func TestTensorsRoundTrip(t *testing.T) {
	w := NewWeights(3)
	w.Layers[Out].B[7] = 0.25
	ts := w.Tensors()
	specs := TensorSpecs()
	if len(ts) != 2*NumLayers || len(specs) != len(ts) {
		t.Fatalf("%d tensors, %d specs", len(ts), len(specs))
	}
	for i, tn := range ts {
		if tn.Name != specs[i].Name || !slices.Equal(tn.Shape, specs[i].Shape) {
			t.Errorf("tensor %d: %s %v, spec %s %v", i, tn.Name, tn.Shape, specs[i].Name, specs[i].Shape)
		}
	}
	if ts[0].Name != "enc.w" || !slices.Equal(ts[0].Shape, []int{1024, 256}) || ts[9].Name != "out.b" {
		t.Errorf("unexpected layout: %s %v ... %s", ts[0].Name, ts[0].Shape, ts[9].Name)
	}
	got, err := FromTensors(ts)
	if err != nil {
		t.Fatal(err)
	}
	if !weightsEqual(got, w) {
		t.Error("round trip changed the weights")
	}
	got.Layers[Enc].W[0]++
	if got.Layers[Enc].W[0] == w.Layers[Enc].W[0] {
		t.Error("FromTensors did not copy")
	}

	bad := w.Tensors()
	bad[2].Shape = []int{2, 256}
	if _, err := FromTensors(bad); !errors.Is(err, ErrWeights) || !strings.Contains(err.Error(), "mu.w") {
		t.Errorf("transposed mu.w: %v", err)
	}
	bad = w.Tensors()
	bad[1].Name = "enc.bias"
	if _, err := FromTensors(bad); err == nil {
		t.Error("wrong name accepted")
	}
	if _, err := FromTensors(w.Tensors()[:9]); err == nil {
		t.Error("missing tensor accepted")
	}
	bad = w.Tensors()
	bad[3].Data = bad[3].Data[:1]
	if _, err := FromTensors(bad); err == nil {
		t.Error("short data accepted")
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(w *Weights)
		want   string
	}{
		{"nan weight", func(w *Weights) { w.Layers[Dec].W[5] = float32(math.NaN()) }, "dec.w[5] is NaN"},
		{"inf bias", func(w *Weights) { w.Layers[Mu].B[1] = float32(math.Inf(-1)) }, "mu.b[1] is -Inf"},
		{"short weights", func(w *Weights) { w.Layers[Enc].W = w.Layers[Enc].W[:100] }, "enc.w has 100 values, want 262144"},
		{"long bias", func(w *Weights) { w.Layers[Out].B = append(w.Layers[Out].B, 0) }, "out.b has 1025 values, want 1024"},
		{"wrong layer size", func(w *Weights) { w.Layers[LogVar].Out = 3 }, "layer 2 is logvar 256->3, want logvar 256->2"},
		{"missing layer", func(w *Weights) { w.Layers[Dec] = Layer{} }, "layer 3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := NewWeights(1)
			c.mutate(w)
			err := w.Validate()
			if !errors.Is(err, ErrWeights) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an ErrWeights containing %q", err, c.want)
			}
			if _, err := NewScorer(w); err == nil {
				t.Error("NewScorer accepted invalid weights")
			}
		})
	}
	var nilW *Weights
	if err := nilW.Validate(); !errors.Is(err, ErrWeights) {
		t.Errorf("nil: %v", err)
	}
}
