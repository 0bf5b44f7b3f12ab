package beacon

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestClientSetExactThenEstimate(t *testing.T) {
	var c clientSet
	r := rand.New(rand.NewPCG(5, 5))
	hashes := make([]uint32, 5000)
	for i := range hashes {
		hashes[i] = r.Uint32()
	}
	for i := range kmvSize - 1 {
		c.add(0, hashes[i])
		c.add(0, hashes[i]) // repeats do not count
		if got := c.count(0); got != float64(i+1) {
			t.Fatalf("after %d distinct: count %v", i+1, got)
		}
	}
	for _, n := range []int{100, 1000, 5000} {
		var c clientSet
		for _, h := range hashes[:n] {
			c.add(0, h)
		}
		// K=16 minimum values: a relative error of about 1/sqrt(14).
		if got := c.count(0); math.Abs(got-float64(n))/float64(n) > 0.6 {
			t.Errorf("%d distinct: estimate %v", n, got)
		}
	}
}

func TestClientSetWindows(t *testing.T) {
	var c clientSet
	c.add(10, 1)
	c.add(10, 2)
	c.add(11, 3) // next window: the previous one still counts
	if got := c.count(11); got != 3 {
		t.Errorf("window 11: %v clients, want 3", got)
	}
	if got := c.count(12); got != 1 { // window 10 has faded
		t.Errorf("window 12: %v clients, want 1", got)
	}
	if got := c.count(14); got != 0 {
		t.Errorf("window 14: %v clients, want 0", got)
	}
	c.add(14, 4)
	c.add(13, 5) // a late event lands in the current window
	if got := c.count(14); got != 2 {
		t.Errorf("window 14 after a late add: %v clients, want 2", got)
	}
}

func TestNetClients(t *testing.T) {
	n := newNetClients()
	for i := range 100 {
		n.add(0, uint32(i)*0x9e3779b1)
	}
	if got := n.count(); got != 100 {
		t.Errorf("100 distinct: %v", got)
	}
	n.add(2, 1)
	if got := n.count(); got != 1 {
		t.Errorf("two windows later: %v, want 1", got)
	}
}
