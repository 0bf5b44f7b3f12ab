package main

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/tlsentry/tlsentry/sensor/pipeline"
)

// TestLargestValuesStartSmall: the largest values every bound allows
// cost nothing until traffic needs them. `flows -workers 100000` took
// 30 s and 6.6 GB for a 4-packet file before -workers had a bound, and
// even at the bound (256 tables of 65,536 flows made room for) 800 MB;
// nothing may allocate per shard, worker, queue slot or batch slot ahead
// of the flows.
func TestLargestValuesStartSmall(t *testing.T) {
	model := trainedModelFile(t) // trained before measuring
	largest := func(scorers int) string {
		return writeConfig(t, t.TempDir(), map[string]string{
			"capture":  "  workers: 256\n  bpf_map_entries: 16777216\n  bpf_budget_bytes: 1073741824\n",
			"flow":     "  max_flows: 16777216\n  idle_timeout: 24h\n  max_age: 24h\n  closed_timeout: 24h\n  handshake_limit: 1048576\n  scan_limit: 1048576\n  max_pending: 16777216\n",
			"detector": fmt.Sprintf("  model: %s\n  batch_size: 65536\n  batch_timeout: 1m\n  queue_size: 1048576\n  scoring_workers: %d\n", model, scorers),
			"alerts":   "  rate_limit: [{signature_id: 0, track: by_both, count: 1048576, window: 168h}]\n  max_tracked: 16777216\n",
		})
	}
	table := []string{"-workers", "256", "-max-flows", "16777216", "-idle-timeout", "24h", "-max-age", "24h", "-handshake-limit", "1048576"}
	// Bytes allocated in all, the sample's 7 flows included. Each scoring
	// worker has a scorer of its own, made at the start (2.1 MiB for the
	// test model, the CNN encoder's scratch): bounded by the 64 workers.
	const budget, perScorer = 32 << 20, 3 << 20
	for _, tc := range []struct {
		args   []string
		budget uint64
	}{
		{append([]string{"flows", "-r", sample}, table...), budget},
		{append([]string{"score", "-model", model, "-r", sample}, table...), budget},
		{append([]string{"extract", "-png", t.TempDir(), "-r", sample}, table...), budget},
		{[]string{"run", "-config", largest(1), "-r", sample}, budget},
		{[]string{"run", "-config", largest(pipeline.MaxWorkers), "-r", sample}, budget + pipeline.MaxWorkers*perScorer},
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, stderr, err := runCmd(t, tc.args...)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Errorf("%s: %v\n%s", tc.args[0], err, stderr)
			continue
		}
		allocated := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s at the largest values: %.1f MiB allocated", tc.args[0], float64(allocated)/(1<<20))
		if allocated > tc.budget {
			t.Errorf("%q allocated %d MiB (budget %d MiB)", tc.args, allocated>>20, tc.budget>>20)
		}
	}
}
