package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// The daemon's heap limit grows with the flow table and the memory
// budget, never goes under its base, and a GOMEMLIMIT of the operator's
// is left alone.
func TestBoundHeap(t *testing.T) {
	was := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(was) })

	if got := heapLimitFor(64<<20, 65536); got != baseHeapLimit {
		t.Errorf("defaults: limit %d, want the base %d", got, baseHeapLimit)
	}
	if got, want := heapLimitFor(64<<20, 1<<20), int64(128<<20+1<<30); got != want {
		t.Errorf("a million flows: limit %d, want %d", got, want)
	}

	t.Setenv("GOMEMLIMIT", "")
	if l := boundHeap(64<<20, 100000); l != baseHeapLimit || debug.SetMemoryLimit(-1) != l {
		t.Errorf("boundHeap set %d, runtime has %d", l, debug.SetMemoryLimit(-1))
	}
	debug.SetMemoryLimit(math.MaxInt64)
	t.Setenv("GOMEMLIMIT", "1GiB")
	if l := boundHeap(64<<20, 100000); l != -1 || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Errorf("with GOMEMLIMIT set, boundHeap set %d", l)
	}
}
