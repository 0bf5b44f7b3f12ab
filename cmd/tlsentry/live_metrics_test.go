//go:build linux

package main

import (
	"fmt"
	"testing"

	"github.com/tlsentry/tlsentry/detector"
	"github.com/tlsentry/tlsentry/internal/netnstest"
	"github.com/tlsentry/tlsentry/internal/testkit"
)

// checkOperatorMetrics scrapes the live daemon's endpoint for the metrics
// an operator watches (issue 13): the model and threshold in effect, the
// flows in the tables, the kernel's counters of the capture interface,
// the eBPF filter's counters, and one verdict latency per flow scored.
// openFlows connections are open in the tables.
func checkOperatorMetrics(t *testing.T, l netnstest.Link, addr, modelPath, iface string, threshold float64, openFlows int) {
	t.Helper()
	m, err := detector.LoadFile(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	get := func(metric string) float64 {
		t.Helper()
		v, err := scrape(l, addr, metric)
		if err != nil {
			t.Fatalf("scraping %s: %v", metric, err)
		}
		return v
	}
	info := fmt.Sprintf(`tlsentry_model_info{id=%q,kind=%q,layout=%q,name=%q}`, m.ID(), m.Kind(), m.File.Meta.Layout, m.Name())
	if v := get(info); v != 1 {
		t.Errorf("%s = %v, want 1", info, v)
	}
	if v := get("tlsentry_model_threshold"); v != threshold {
		t.Errorf("tlsentry_model_threshold %v, want the reloaded %v", v, threshold)
	}
	// Published at each table's tick, about every second.
	testkit.WaitFor(t, "the open connections among the active flows", func() bool {
		return get("tlsentry_flows_active") >= float64(openFlows)
	})
	ifl := fmt.Sprintf(`{interface=%q}`, iface)
	if v := get("tlsentry_kernel_packets_total" + ifl); v <= 0 {
		t.Errorf("tlsentry_kernel_packets_total%s %v", ifl, v)
	}
	if v := get("tlsentry_kernel_drops_total" + ifl); v != 0 {
		t.Errorf("tlsentry_kernel_drops_total%s %v", ifl, v)
	}
	passed := get(`tlsentry_bpf_packets_total{result="passed"}`)
	if passed <= 0 {
		t.Errorf("the eBPF filter passed %v packets", passed)
	}
	// Every flow scored has its verdict written, and its latency observed
	// once written.
	var scored, latencies float64
	testkit.WaitFor(t, "a verdict latency for every flow scored", func() bool {
		scored, latencies = get("tlsentry_flows_scored_total"), get("tlsentry_verdict_latency_seconds_count")
		return scored > 0 && latencies == scored
	})
	sum := get("tlsentry_verdict_latency_seconds_sum")
	t.Logf("metrics: %v flows scored, mean verdict latency %.1f ms; eBPF filter passed %v packets", scored, 1000*sum/latencies, passed)
	if sum <= 0 || sum/latencies > 10 {
		t.Errorf("verdict latencies sum to %v s over %v flows", sum, latencies)
	}
}
