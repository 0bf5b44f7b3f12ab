package main

import (
	"runtime"
	"testing"
)

// Live capture gets a P per capture worker on top of the process's own;
// raising again is a no-op, and an explicit GOMAXPROCS is left alone.
func TestRoomForCapture(t *testing.T) {
	was := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(was) })
	runtime.GOMAXPROCS(startProcs)

	t.Setenv("GOMAXPROCS", "")
	roomForCapture(2)
	roomForCapture(2) // a second daemon in the same process
	if got := runtime.GOMAXPROCS(0); got != startProcs+2 {
		t.Errorf("GOMAXPROCS %d with 2 capture workers, want %d", got, startProcs+2)
	}

	runtime.GOMAXPROCS(startProcs)
	t.Setenv("GOMAXPROCS", "1")
	roomForCapture(4)
	if got := runtime.GOMAXPROCS(0); got != startProcs {
		t.Errorf("GOMAXPROCS %d with GOMAXPROCS set, want it left at %d", got, startProcs)
	}
}
