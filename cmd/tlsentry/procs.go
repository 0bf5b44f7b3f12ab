package main

import (
	"os"
	"runtime"
)

// startProcs is GOMAXPROCS as the process started.
var startProcs = runtime.GOMAXPROCS(0)

// roomForCapture raises GOMAXPROCS by the live capture's workers. Each
// waits for packets in poll(2), a blocking system call during which its
// goroutine keeps a P until the runtime takes it back, and meanwhile no
// scorer runs on that P: pinned to one CPU (GOMAXPROCS 1), the daemon sat
// idle 45% of the time under a flood with flows waiting to be scored
// (bench/flood.sh: 53-56% of its CPU used, against 91% with a P per
// capture worker more). An explicit GOMAXPROCS is left as it is.
func roomForCapture(workers int) {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	if want := startProcs + workers; runtime.GOMAXPROCS(0) < want {
		runtime.GOMAXPROCS(want)
	}
}
