package beacon

import (
	"math/rand/v2"
	"testing"
)

// TestIndexAgainstMap inserts and removes at random, with colliding homes
// and equal tags, and checks every live entry is found where a map says.
func TestIndexAgainstMap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x := newIndex(64)
	model := map[int32]uint64{} // slot -> hash
	find := func(h uint64, slot int32) bool {
		for i := x.home(h); x.cells[i] != 0; i = (i + 1) & x.mask {
			if x.cells[i] == tag(h)|uint64(slot+1) {
				return true
			}
		}
		return false
	}
	for step := range 200000 {
		slot := int32(r.IntN(64))
		if h, ok := model[slot]; ok {
			x.remove(h, slot)
			delete(model, slot)
		} else {
			// Few distinct homes and tags: long probe runs that wrap.
			h := uint64(r.IntN(8))<<slotBits | uint64(r.IntN(3))<<60 | uint64(r.IntN(1<<slotBits))
			if r.IntN(4) == 0 {
				h |= x.mask << slotBits // homes at the end: runs wrap around
			}
			x.insert(h, slot)
			model[slot] = h
		}
		if step%97 == 0 {
			live := 0
			for _, c := range x.cells {
				if c != 0 {
					live++
				}
			}
			if live != len(model) {
				t.Fatalf("step %d: %d cells live, model has %d", step, live, len(model))
			}
			for s, h := range model {
				if !find(h, s) {
					t.Fatalf("step %d: slot %d (hash %#x) not found", step, s, h)
				}
			}
		}
	}
}
