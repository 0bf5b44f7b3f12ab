package cnn

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func TestNewWeights(t *testing.T) {
	a, b, c := NewWeights(1), NewWeights(1), NewWeights(2)
	if err := a.Validate(); err != nil {
		t.Fatal(err)
	}
	for i, conv := range a.Convs {
		if !slices.Equal(conv.W, b.Convs[i].W) {
			t.Fatalf("%s: seed 1 twice gives different weights", conv.Name)
		}
		if slices.Equal(conv.W, c.Convs[i].W) {
			t.Fatalf("%s: seeds 1 and 2 give the same weights", conv.Name)
		}
		lim := float32(math.Sqrt(6 / float64((conv.In+conv.Out)*9)))
		var lo, hi float32
		for _, v := range conv.W {
			lo, hi = min(lo, v), max(hi, v)
		}
		if lo < -lim || hi > lim || hi-lo < lim { // within the limit, and spread over it
			t.Fatalf("%s: weights in [%v, %v], limit %v", conv.Name, lo, hi, lim)
		}
		for _, v := range conv.B {
			if v != 0 {
				t.Fatalf("%s: non-zero initial bias", conv.Name)
			}
		}
	}
}

func TestTensorsRoundTrip(t *testing.T) {
	w := NewWeights(3)
	w.Convs[Dec1].B[2] = 0.5
	ts := w.Tensors()
	if len(ts) != 2*NumConvs || ts[0].Name != "enc1.w" || !slices.Equal(ts[0].Shape, []int{16, 1, 3, 3}) ||
		ts[3].Name != "enc2.b" || !slices.Equal(ts[3].Shape, []int{2}) || ts[9].Name != "dec2.b" {
		t.Fatalf("tensors: %v", ts)
	}
	back, err := FromTensors(ts)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range back.Convs {
		if c.ConvSpec != w.Convs[i].ConvSpec || !slices.Equal(c.W, w.Convs[i].W) || !slices.Equal(c.B, w.Convs[i].B) {
			t.Fatalf("%s differs after the round trip", c.Name)
		}
	}
	ts[0].Data[0] = 42 // FromTensors copied
	if back.Convs[Enc1].W[0] == 42 {
		t.Fatal("FromTensors kept the caller's slice")
	}
}

func TestFromTensorsErrors(t *testing.T) {
	for name, mutate := range map[string]func([]Tensor) []Tensor{
		"count": func(ts []Tensor) []Tensor { return ts[:9] },
		"name":  func(ts []Tensor) []Tensor { ts[2].Name = "enc9.w"; return ts },
		"shape": func(ts []Tensor) []Tensor { ts[2].Shape = []int{2, 16, 9}; return ts },
		"size":  func(ts []Tensor) []Tensor { ts[1].Data = ts[1].Data[:3]; return ts },
		"NaN":   func(ts []Tensor) []Tensor { ts[4].Data[1] = float32(math.NaN()); return ts },
		"Inf":   func(ts []Tensor) []Tensor { ts[7].Data[0] = float32(math.Inf(-1)); return ts },
	} {
		if _, err := FromTensors(mutate(NewWeights(1).Tensors())); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestValidate(t *testing.T) {
	var nilW *Weights
	if err := nilW.Validate(); !errors.Is(err, ErrWeights) {
		t.Fatalf("nil: %v", err)
	}
	w := NewWeights(1)
	w.Convs[Enc3].Out = 3
	if err := w.Validate(); !errors.Is(err, ErrWeights) {
		t.Fatalf("wrong channels: %v", err)
	}
	w = NewWeights(1)
	w.Convs[Dec2].B = nil
	if err := w.Validate(); err == nil {
		t.Fatal("missing bias accepted")
	}
	c := NewWeights(1)
	d := c.Clone()
	d.Convs[Enc1].W[0]++
	if c.Convs[Enc1].W[0] == d.Convs[Enc1].W[0] {
		t.Fatal("Clone shares storage")
	}
}
