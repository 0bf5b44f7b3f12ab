package layercheck

import (
	"errors"
	"math"
	"testing"
)

var errBad = errors.New("bad weights")

func TestCheck(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(-1))
	for _, c := range []struct {
		w, b []float32
		want string // "" for no error
	}{
		{[]float32{1, 2}, []float32{3}, ""},
		{[]float32{1}, []float32{3}, "bad weights: l.w has 1 values, want 2"},
		{[]float32{1, 2}, nil, "bad weights: l.b has 0 values, want 1"},
		{[]float32{1, nan}, []float32{3}, "bad weights: l.w[1] is NaN"},
		{[]float32{1, 2}, []float32{inf}, "bad weights: l.b[0] is -Inf"},
	} {
		err := Check(errBad, "l", c.w, c.b, 2, 1)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v %v: %v", c.w, c.b, err)
		case c.want != "" && (err == nil || err.Error() != c.want || !errors.Is(err, errBad)):
			t.Errorf("%v %v: got %v, want %q wrapping errBad", c.w, c.b, err, c.want)
		}
	}
}
