package metrics

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/tlsentry/tlsentry/flow"
)

func newTest(t *testing.T) (*Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	m, err := New(reg)
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}

func TestNames(t *testing.T) {
	m, reg := newTest(t)
	m.Packets.WithLabelValues("0").Inc() // vectors show once they have a child
	m.Bytes.WithLabelValues("0").Inc()
	m.DecodeSkips.WithLabelValues("not_tcp").Inc()
	m.QueueDrops.WithLabelValues("score", "full").Inc()
	m.AlertsSuppressed.WithLabelValues("sni").Inc()
	m.LogWriteErrors.WithLabelValues("alerts").Inc()
	m.LogReopened.WithLabelValues("alerts").Inc()
	m.SetKernelStats(func() []KernelStats { return []KernelStats{{Interface: "eth1"}} })
	m.SetLinkStats(func() []LinkStats { return []LinkStats{{Interface: "eth1"}} })
	m.SetModel(ModelInfo{ID: "abc", Name: "hybrid/abc", Kind: "hybrid", Layout: "prefix1024-sendorder-v1"}, 17.8)
	m.SetActiveFlows(func() int { return 0 })
	m.SetFilterStats(func() (FilterStats, error) { return FilterStats{}, nil })
	mfs, err := reg.Gather() // the pedantic registry checks consistency
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]dto.MetricType{}
	for _, mf := range mfs {
		got[mf.GetName()] = mf.GetType()
	}
	want := map[string]dto.MetricType{
		"tlsentry_packets_total":                                dto.MetricType_COUNTER,
		"tlsentry_packet_bytes_total":                           dto.MetricType_COUNTER,
		"tlsentry_decode_skipped_packets_total":                 dto.MetricType_COUNTER,
		"tlsentry_packets_cut_total":                            dto.MetricType_COUNTER,
		"tlsentry_tcp_segments_total":                           dto.MetricType_COUNTER,
		"tlsentry_udp_datagrams_total":                          dto.MetricType_COUNTER,
		"tlsentry_udp_not_quic_total":                           dto.MetricType_COUNTER,
		"tlsentry_flows_opened_total":                           dto.MetricType_COUNTER,
		"tlsentry_flows_ended_total":                            dto.MetricType_COUNTER,
		"tlsentry_flow_evictions_total":                         dto.MetricType_COUNTER,
		"tlsentry_reassembly_events_total":                      dto.MetricType_COUNTER,
		"tlsentry_queue_dropped_total":                          dto.MetricType_COUNTER,
		"tlsentry_scoring_queue_flows":                          dto.MetricType_GAUGE,
		"tlsentry_scoring_queue_capacity_flows":                 dto.MetricType_GAUGE,
		"tlsentry_score_batch_flows":                            dto.MetricType_HISTOGRAM,
		"tlsentry_score_latency_seconds":                        dto.MetricType_HISTOGRAM,
		"tlsentry_verdict_latency_seconds":                      dto.MetricType_HISTOGRAM,
		"tlsentry_model_info":                                   dto.MetricType_GAUGE,
		"tlsentry_model_threshold":                              dto.MetricType_GAUGE,
		"tlsentry_flows_active":                                 dto.MetricType_GAUGE,
		"tlsentry_bpf_packets_total":                            dto.MetricType_COUNTER,
		"tlsentry_flows_scored_total":                           dto.MetricType_COUNTER,
		"tlsentry_alerts_total":                                 dto.MetricType_COUNTER,
		"tlsentry_alerts_suppressed_total":                      dto.MetricType_COUNTER,
		"tlsentry_blocklist_entries":                            dto.MetricType_GAUGE,
		"tlsentry_blocklist_hits_total":                         dto.MetricType_COUNTER,
		"tlsentry_exploit_findings_total":                       dto.MetricType_COUNTER,
		"tlsentry_context_facts_total":                          dto.MetricType_COUNTER,
		"tlsentry_recall_servers":                               dto.MetricType_GAUGE,
		"tlsentry_log_write_errors_total":                       dto.MetricType_COUNTER,
		"tlsentry_beacon_pairs":                                 dto.MetricType_GAUGE,
		"tlsentry_beacon_destinations":                          dto.MetricType_GAUGE,
		"tlsentry_beacon_events_total":                          dto.MetricType_COUNTER,
		"tlsentry_beacon_pair_evictions_total":                  dto.MetricType_COUNTER,
		"tlsentry_beacon_findings_total":                        dto.MetricType_COUNTER,
		"tlsentry_beacon_alerts_total":                          dto.MetricType_COUNTER,
		"tlsentry_beacon_allowlisted_total":                     dto.MetricType_COUNTER,
		"tlsentry_log_reopened_total":                           dto.MetricType_COUNTER,
		"tlsentry_config_reloads_total":                         dto.MetricType_COUNTER,
		"tlsentry_config_reload_failures_total":                 dto.MetricType_COUNTER,
		"tlsentry_config_last_reload_successful":                dto.MetricType_GAUGE,
		"tlsentry_config_last_reload_success_timestamp_seconds": dto.MetricType_GAUGE,
		"tlsentry_kernel_packets_total":                         dto.MetricType_COUNTER,
		"tlsentry_kernel_drops_total":                           dto.MetricType_COUNTER,
		"tlsentry_kernel_queue_freezes_total":                   dto.MetricType_COUNTER,
		"tlsentry_capture_link_up":                              dto.MetricType_GAUGE,
		"tlsentry_capture_link_flaps_total":                     dto.MetricType_COUNTER,
		"tlsentry_capture_link_down_seconds_total":              dto.MetricType_COUNTER,
		"tlsentry_capture_reopens_total":                        dto.MetricType_COUNTER,
		"tlsentry_build_info":                                   dto.MetricType_GAUGE,
	}
	for name, typ := range want {
		if g, ok := got[name]; !ok || g != typ {
			t.Errorf("%s: type %v (present %v), want %v", name, g, ok, typ)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("unexpected metric %s", name)
		}
	}
	// Every end reason is there from the start, at zero.
	if n := testutil.CollectAndCount(m.FlowsEnded); n != len(flow.EndReasons()) {
		t.Errorf("%d end reasons, want %d", n, len(flow.EndReasons()))
	}
}

func TestRegisterTwice(t *testing.T) {
	m, reg := newTest(t)
	if _, err := New(reg); err == nil || !strings.Contains(err.Error(), "register") {
		t.Errorf("second New on one registry: %v", err)
	}
	m.Alerts.Inc() // the first set still works and is still registered
	if n, err := testutil.GatherAndCount(reg, "tlsentry_alerts_total"); err != nil || n != 1 {
		t.Errorf("alerts after the failed New: %d, %v", n, err)
	}
	if err := RegisterRuntime(reg); err != nil {
		t.Fatal(err)
	}
	if n, err := testutil.GatherAndCount(reg, "go_goroutines"); err != nil || n != 1 {
		t.Errorf("go_goroutines: %d, %v", n, err)
	}
}

func TestCounters(t *testing.T) {
	m, _ := newTest(t)
	m.Packets.WithLabelValues("1").Add(3)
	m.Packets.WithLabelValues("1").Inc()
	m.Bytes.WithLabelValues("1").Add(1500)
	if got := testutil.ToFloat64(m.Packets.WithLabelValues("1")); got != 4 {
		t.Errorf("packets %v, want 4", got)
	}
	if got := testutil.ToFloat64(m.Bytes.WithLabelValues("1")); got != 1500 {
		t.Errorf("bytes %v, want 1500", got)
	}

	var a, b flow.Stats
	b.Segments, b.FlowsOpened = 100, 10
	b.Emitted[flow.EndFIN], b.Emitted[flow.EndEvicted] = 6, 2
	b.EvictedActive, b.EvictedFinished, b.Retransmits = 2, 1, 5
	b.MemcapEvictions, b.MemcapGiveUps = 3, 4
	m.AddFlowStats(&a, &b)
	c := b
	c.Segments, c.Emitted[flow.EndFIN], c.Gaps = 130, 9, 1
	c.Datagrams, c.NotQUIC = 12, 4
	m.AddFlowStats(&b, &c)
	m.AddFlowStats(&c, &c) // no growth, no change
	want := `
# HELP tlsentry_flows_ended_total Flows handed out by the flow tables, by end reason.
# TYPE tlsentry_flows_ended_total counter
tlsentry_flows_ended_total{end_reason="complete"} 0
tlsentry_flows_ended_total{end_reason="decided"} 0
tlsentry_flows_ended_total{end_reason="evicted"} 2
tlsentry_flows_ended_total{end_reason="fin"} 9
tlsentry_flows_ended_total{end_reason="flush"} 0
tlsentry_flows_ended_total{end_reason="idle_timeout"} 0
tlsentry_flows_ended_total{end_reason="max_age"} 0
tlsentry_flows_ended_total{end_reason="reused"} 0
tlsentry_flows_ended_total{end_reason="rst"} 0
tlsentry_flows_ended_total{end_reason="verdict_timeout"} 0
# HELP tlsentry_flow_evictions_total Flows removed because a flow table was full, by the flow's state.
# TYPE tlsentry_flow_evictions_total counter
tlsentry_flow_evictions_total{state="active"} 2
tlsentry_flow_evictions_total{state="finished"} 1
tlsentry_flow_evictions_total{state="memcap"} 3
`
	if err := testutil.CollectAndCompare(m.FlowsEnded, strings.NewReader(want), "tlsentry_flows_ended_total"); err != nil {
		t.Error(err)
	}
	if err := testutil.CollectAndCompare(m.FlowEvictions, strings.NewReader(want), "tlsentry_flow_evictions_total"); err != nil {
		t.Error(err)
	}
	for _, c := range []struct {
		c    prometheus.Collector
		want float64
	}{
		{m.Segments, 130}, {m.FlowsOpened, 10}, {m.Datagrams, 12}, {m.NotQUIC, 4},
		{m.Reassembly.WithLabelValues("retransmit"), 5}, {m.Reassembly.WithLabelValues("gap"), 1},
		{m.Reassembly.WithLabelValues("overlap"), 0}, {m.Reassembly.WithLabelValues("memcap"), 4},
	} {
		if got := testutil.ToFloat64(c.c); got != c.want {
			t.Errorf("%v: %v, want %v", c.c, got, c.want)
		}
	}
	// A table whose counters restarted counts from zero.
	var fresh flow.Stats
	fresh.Segments = 7
	m.AddFlowStats(&c, &fresh)
	if got := testutil.ToFloat64(m.Segments); got != 137 {
		t.Errorf("segments after a restart %v, want 137", got)
	}
}

func TestHistograms(t *testing.T) {
	m, _ := newTest(t)
	for _, n := range []float64{1, 3, 256, 300, 5000} {
		m.BatchSize.Observe(n)
	}
	want := `
# HELP tlsentry_score_batch_flows Flows per batch handed to the detector.
# TYPE tlsentry_score_batch_flows histogram
tlsentry_score_batch_flows_bucket{le="1"} 1
tlsentry_score_batch_flows_bucket{le="2"} 1
tlsentry_score_batch_flows_bucket{le="4"} 2
tlsentry_score_batch_flows_bucket{le="8"} 2
tlsentry_score_batch_flows_bucket{le="16"} 2
tlsentry_score_batch_flows_bucket{le="32"} 2
tlsentry_score_batch_flows_bucket{le="64"} 2
tlsentry_score_batch_flows_bucket{le="128"} 2
tlsentry_score_batch_flows_bucket{le="256"} 3
tlsentry_score_batch_flows_bucket{le="512"} 4
tlsentry_score_batch_flows_bucket{le="1024"} 4
tlsentry_score_batch_flows_bucket{le="+Inf"} 5
tlsentry_score_batch_flows_sum 5560
tlsentry_score_batch_flows_count 5
`
	if err := testutil.CollectAndCompare(m.BatchSize, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	m.ScoreLatency.Observe((3 * time.Millisecond).Seconds())
	m.ScoreLatency.Observe(10)
	var pb dto.Metric
	if err := m.ScoreLatency.(prometheus.Metric).Write(&pb); err != nil {
		t.Fatal(err)
	}
	h := pb.GetHistogram()
	if h.GetSampleCount() != 2 || len(h.GetBucket()) != 16 {
		t.Fatalf("latency: %d samples in %d buckets", h.GetSampleCount(), len(h.GetBucket()))
	}
	for _, b := range h.GetBucket() {
		want := uint64(0)
		if b.GetUpperBound() >= 0.003 {
			want = 1 // 10 s is past the last bucket
		}
		if b.GetCumulativeCount() != want {
			t.Errorf("bucket le=%g: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}
}

func TestKernelStats(t *testing.T) {
	m, reg := newTest(t)
	names := []string{"tlsentry_kernel_packets_total", "tlsentry_kernel_drops_total", "tlsentry_kernel_queue_freezes_total"}
	if n, _ := testutil.GatherAndCount(reg, names...); n != 0 {
		t.Errorf("kernel metrics before a source was set: %d", n)
	}
	var calls atomic.Int64
	m.SetKernelStats(func() []KernelStats {
		n := uint64(calls.Add(1))
		return []KernelStats{
			{Interface: "eth1", Packets: 1000 * n, Drops: 10 * n, QueueFreezes: n},
			{Interface: "eth2", Packets: 7},
		}
	})
	for i := 1; i <= 2; i++ {
		want := strings.NewReader(strings.ReplaceAll(`
# HELP tlsentry_kernel_drops_total Packets the kernel dropped because a capture ring of the interface was full.
# TYPE tlsentry_kernel_drops_total counter
tlsentry_kernel_drops_total{interface="eth1"} N0
tlsentry_kernel_drops_total{interface="eth2"} 0
# HELP tlsentry_kernel_packets_total Packets the kernel queued to the capture rings of the interface.
# TYPE tlsentry_kernel_packets_total counter
tlsentry_kernel_packets_total{interface="eth1"} N000
tlsentry_kernel_packets_total{interface="eth2"} 7
# HELP tlsentry_kernel_queue_freezes_total Times a capture ring of the interface froze its queue.
# TYPE tlsentry_kernel_queue_freezes_total counter
tlsentry_kernel_queue_freezes_total{interface="eth1"} N
tlsentry_kernel_queue_freezes_total{interface="eth2"} 0
`, "N", string(rune('0'+i))))
		// Each gather reads the snapshot once more.
		if err := testutil.GatherAndCompare(reg, want, names...); err != nil {
			t.Errorf("scrape %d: %v", i, err)
		}
	}
	m.SetKernelStats(nil)
	if n, _ := testutil.GatherAndCount(reg, names...); n != 0 {
		t.Errorf("kernel metrics after the source was removed: %d", n)
	}
}

func TestLinkStats(t *testing.T) {
	m, reg := newTest(t)
	names := []string{"tlsentry_capture_link_up", "tlsentry_capture_link_flaps_total", "tlsentry_capture_link_down_seconds_total", "tlsentry_capture_reopens_total"}
	if n, _ := testutil.GatherAndCount(reg, names...); n != 0 {
		t.Errorf("link metrics before a source was set: %d", n)
	}
	m.SetLinkStats(func() []LinkStats {
		return []LinkStats{
			{Interface: "eth1", Up: true, Flaps: 2, DownSeconds: 3.5, Reopens: 1},
			{Interface: "eth2", Up: false, DownSeconds: 12},
		}
	})
	want := strings.NewReader(`
# HELP tlsentry_capture_link_down_seconds_total Seconds the capture interface was not up since the sensor started.
# TYPE tlsentry_capture_link_down_seconds_total counter
tlsentry_capture_link_down_seconds_total{interface="eth1"} 3.5
tlsentry_capture_link_down_seconds_total{interface="eth2"} 12
# HELP tlsentry_capture_link_flaps_total Times the capture interface stopped being up.
# TYPE tlsentry_capture_link_flaps_total counter
tlsentry_capture_link_flaps_total{interface="eth1"} 2
tlsentry_capture_link_flaps_total{interface="eth2"} 0
# HELP tlsentry_capture_link_up Whether the capture interface is up with a carrier and captured on (1) or not (0: down, without carrier, absent, or its sockets being opened again).
# TYPE tlsentry_capture_link_up gauge
tlsentry_capture_link_up{interface="eth1"} 1
tlsentry_capture_link_up{interface="eth2"} 0
# HELP tlsentry_capture_reopens_total Times the capture opened its sockets again (the interface was made again, or a socket failed).
# TYPE tlsentry_capture_reopens_total counter
tlsentry_capture_reopens_total{interface="eth1"} 1
tlsentry_capture_reopens_total{interface="eth2"} 0
`)
	if err := testutil.GatherAndCompare(reg, want, names...); err != nil {
		t.Error(err)
	}
	m.SetLinkStats(nil)
	if n, _ := testutil.GatherAndCount(reg, names...); n != 0 {
		t.Errorf("link metrics after the source was removed: %d", n)
	}
}

func TestReloaded(t *testing.T) {
	m, _ := newTest(t)
	at := time.Unix(1700000000, 500_000_000)
	m.Reloaded(nil, at)
	m.Reloaded(errors.New("bad yaml"), at.Add(time.Minute))
	checks := []struct {
		c    prometheus.Collector
		want float64
	}{{m.Reloads, 2}, {m.ReloadFailures, 1}, {m.LastReloadSuccess, 0}, {m.LastReloadTime, 1700000000.5}}
	for _, c := range checks {
		if got := testutil.ToFloat64(c.c); got != c.want {
			t.Errorf("%v: %v, want %v", c.c, got, c.want)
		}
	}
	m.Reloaded(nil, at.Add(2*time.Minute))
	if testutil.ToFloat64(m.LastReloadSuccess) != 1 || testutil.ToFloat64(m.LastReloadTime) != 1700000120.5 {
		t.Error("a good reload after a bad one did not set success and time")
	}
}
