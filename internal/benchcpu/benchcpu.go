package benchcpu

import (
	"testing"
	"time"
)

// Timer measures process CPU time from Start.
type Timer struct{ start time.Duration }

// Start begins a measurement; call it right before the benchmark loop.
func Start() Timer { return Timer{start: cpuTime()} }

// Report adds "UNIT/cpu-s": n units over the CPU time since Start. It
// reports nothing where CPU time cannot be read.
func (t Timer) Report(b *testing.B, n float64, unit string) {
	spent := cpuTime() - t.start
	if spent <= 0 {
		return
	}
	b.ReportMetric(n/spent.Seconds(), unit+"/cpu-s")
}
