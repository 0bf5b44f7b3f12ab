package recall

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// The memory keeps the servers a plain model keeps: a list in order of
// first remembering, where remembering a kept server again keeps its place,
// forgetting one removes it, and the first listed gives way while the
// memory is over its size. Random operations on few servers, so that they
// are remembered, forgotten and remembered anew often.
func TestEvictionOrder(t *testing.T) {
	const size, servers = 16, 40
	rng := rand.New(rand.NewPCG(1, 2))
	m := New(size, 0)
	var model []int // kept servers, oldest turn first
	for op := range 20000 {
		i := rng.IntN(servers)
		at := slices.Index(model, i)
		if rng.IntN(4) == 0 {
			m.Remember(key(i), Shown{At: t0})
			if at >= 0 {
				model = slices.Delete(model, at, at+1)
			}
		} else {
			m.Remember(key(i), shown(uint64(op), t0))
			if at < 0 {
				model = append(model, i)
			}
			for len(model) > size {
				model = model[1:]
			}
		}
		if m.Len() != len(model) {
			t.Fatalf("op %d: %d kept, the model %d", op, m.Len(), len(model))
		}
		for j := range servers {
			_, kept := m.Recall(key(j), t0)
			if kept != slices.Contains(model, j) {
				t.Fatalf("op %d: server %d kept %v, the model %v", op, j, kept, !kept)
			}
		}
	}
}
