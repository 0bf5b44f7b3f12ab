package main

import (
	"os"
	"runtime/debug"
)

// baseHeapLimit is the least soft memory limit the daemon gives the Go
// runtime.
const baseHeapLimit = 320 << 20

// heapLimitFor is the daemon's soft memory limit for the Go heap: room for
// twice the flow memory budget and a KiB per tracked flow, and never
// under baseHeapLimit. The capture rings are outside it (mapped memory,
// capture.ring_size_mb per worker).
func heapLimitFor(budgetBytes int64, maxFlows int) int64 {
	return max(baseHeapLimit, 2*budgetBytes+int64(maxFlows)<<10)
}

// boundHeap sets the Go runtime's soft memory limit to heapLimitFor, so
// that a burst (a flood's flows all handed out at once, scoring queues
// full) makes the collector work harder instead of the heap growing to
// twice its live size, as it may by default: under an out-of-order flood
// at max_flows 100000 the daemon peaked at 520 MiB without it, 448 MiB
// with it (bench/flood.sh outoforder 66000). A GOMEMLIMIT set in the
// environment is left as it is. It returns the limit set, or -1.
func boundHeap(budgetBytes int64, maxFlows int) int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return -1
	}
	l := heapLimitFor(budgetBytes, maxFlows)
	debug.SetMemoryLimit(l)
	return l
}
