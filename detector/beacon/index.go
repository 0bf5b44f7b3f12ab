package beacon

// index maps 64-bit hashes to table slots: open addressing with linear
// probing, at most half full, deletion by backward shift (no tombstones, so
// a table that churns under a scan never degrades or grows). Each cell is
// one word, the hash's upper 40 bits and the slot, so a probe is one cache
// miss. Cells with equal tags may map to several slots; callers compare
// the slot's identity.
type index struct {
	mask  uint64
	cells []uint64 // hash &^ slotMask | slot+1; 0 is empty
}

const (
	slotBits = 24 // tables hold at most 1<<24 - 1 slots (maxTableSize)
	slotMask = 1<<slotBits - 1
)

func newIndex(capacity int) index {
	n := 16
	for n < 2*capacity {
		n <<= 1
	}
	return index{mask: uint64(n - 1), cells: make([]uint64, n)}
}

// home is where a hash's probe starts: bits above the slot's, so it can be
// computed from a cell too.
func (x *index) home(h uint64) uint64 { return h >> slotBits & x.mask }

// tag is the part of a hash a cell keeps.
func tag(h uint64) uint64 { return h &^ slotMask }

func (x *index) insert(h uint64, slot int32) {
	i := x.home(h)
	for x.cells[i] != 0 {
		i = (i + 1) & x.mask
	}
	x.cells[i] = tag(h) | uint64(slot+1)
}

// remove deletes the cell of (h, slot), which must be there.
func (x *index) remove(h uint64, slot int32) {
	want := tag(h) | uint64(slot+1)
	i := x.home(h)
	for x.cells[i] != want {
		if x.cells[i] == 0 {
			return // not there (never, while callers keep the invariant)
		}
		i = (i + 1) & x.mask
	}
	// Shift back the cells after i whose home is not in (i, j].
	for j := i; ; {
		j = (j + 1) & x.mask
		c := x.cells[j]
		if c == 0 {
			break
		}
		home := x.home(c)
		if i <= j {
			if i < home && home <= j {
				continue
			}
		} else if i < home || home <= j {
			continue
		}
		x.cells[i] = c
		i = j
	}
	x.cells[i] = 0
}
