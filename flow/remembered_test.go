package flow

import (
	"math/rand/v2"
	"testing"
)

// TestRememberedIndex drives the memory of handed-out connections with
// random adds, lookups, late packets and removals over a pool of keys that
// collide in the index, and checks it against a model: every key added is
// found until it is removed or given up, a give-up is reported and loses
// the least recently seen key, and the index, the
// lists and the free slots agree.
func TestRememberedIndex(t *testing.T) {
	const bound, pool = 300, 2000
	rng := rand.New(rand.NewPCG(1, 2))
	keys := make([]Key, pool)
	for i := range keys {
		keys[i].Lo.Port = uint16(i)
		keys[i].Hi.Addr[15] = byte(i % 7)
	}
	hash := func(i int) uint64 { return keys[i].Hash() & 0xff } // few distinct hashes: long probe runs
	r := newRemembered(bound)
	seen := map[int]int64{} // key: last seen, the model
	closed := map[int]bool{}
	now := int64(0)
	find := func(i int) int32 { return r.find(&keys[i], hash(i)) }
	for step := range 30000 {
		now++
		i := rng.IntN(pool)
		_, in := seen[i]
		switch op := rng.IntN(10); {
		case op < 6 && !in:
			want := -1 // the key to give up: least recently seen
			if len(seen) == bound {
				for k, t := range seen {
					if want < 0 || t < seen[want] {
						want = k
					}
				}
			}
			e := remEntry{key: keys[i], hash: uint32(hash(i)), seen: now}
			if rng.IntN(3) == 0 {
				e.state = remClosed
			}
			if gaveUp := r.add(e); gaveUp != (want >= 0) {
				t.Fatalf("step %d: gave up %v with %d remembered", step, gaveUp, len(seen))
			}
			if want >= 0 {
				if find(want) >= 0 {
					t.Fatalf("step %d: key %d should have been given up", step, want)
				}
				delete(seen, want)
			}
			seen[i], closed[i] = now, e.state != 0
		case op < 8 && in:
			r.remove(find(i))
			delete(seen, i)
		case op < 10 && in:
			s := Segment{Time: now, Flags: FlagRST * uint8(rng.IntN(2))}
			r.late(find(i), &s, true, s.Time)
			seen[i], closed[i] = now, closed[i] || s.Flags != 0
		}
		if step%97 == 0 {
			checkRemembered(t, &r, len(seen))
		}
		if got := find(i) >= 0; got != (seen[i] > 0) {
			t.Fatalf("step %d: key %d found %v, want %v", step, i, got, seen[i] > 0)
		}
	}
	if len(r.slab) != bound {
		t.Errorf("slab of %d slots, want the bound %d", len(r.slab), bound)
	}
}

func checkRemembered(t *testing.T, r *remembered, want int) {
	t.Helper()
	n := 0
	for _, v := range r.index {
		if v != 0 {
			n++
		}
	}
	onLists := 0
	for _, l := range []*remList{&r.open, &r.closed} {
		prev := int32(-1)
		for s := l.head; s >= 0; s = r.slab[s].next {
			if r.slab[s].prev != prev || r.find(&r.slab[s].key, uint64(r.slab[s].hash)) != s {
				t.Fatalf("slot %d: bad links or not in the index", s)
			}
			prev = s
			onLists++
		}
		if l.tail != prev {
			t.Fatalf("list tail %d, last %d", l.tail, prev)
		}
	}
	free := 0
	for s := r.free; s >= 0; s = r.slab[s].next {
		free++
	}
	if n != r.live || onLists != r.live || r.live != want || free+r.live != len(r.slab) {
		t.Fatalf("index holds %d, lists %d, live %d, free %d of %d, model %d", n, onLists, r.live, free, len(r.slab), want)
	}
}

// TestRememberedExpires: the sweep forgets entries by their own timeout
// (closed ones sooner), and an emptied memory gives its slab back.
func TestRememberedExpires(t *testing.T) {
	r := newRemembered(4096)
	for i := range 1000 {
		k := Key{}
		k.Lo.Port = uint16(i)
		e := remEntry{key: k, hash: uint32(k.Hash()), seen: int64(i)}
		if i%2 == 1 {
			e.state = remClosed
		}
		r.add(e)
	}
	r.expire(600, 100, 10) // open ones seen before 500 and closed before 590 go
	if r.live != 250+205 {
		t.Fatalf("live %d, want %d", r.live, 250+205)
	}
	checkRemembered(t, &r, r.live)
	r.expire(5000, 100, 10)
	if r.live != 0 || r.slab != nil {
		t.Fatalf("live %d, slab of %d after all expired", r.live, len(r.slab))
	}
}
