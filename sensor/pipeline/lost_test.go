package pipeline_test

import (
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tlsentry/tlsentry/sensor/metrics"
	"github.com/tlsentry/tlsentry/sensor/pipeline"
)

// Lines a log's buffer could not write count as that log's write errors,
// in the metric and in the sink's stats, added to the lines that failed
// at once.
func TestLinesLostCountAsWriteErrors(t *testing.T) {
	m, err := metrics.New(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	alerts, _ := openLog(t, t.TempDir(), "alerts.json")
	s := pipeline.NewLogSink(pipeline.LogOutputs{Alerts: alerts}, "m", m, nil)
	full := errors.New("no space left on device")
	s.LinesLost("flows", 7, full)
	s.LinesLost("flows", 2, full)
	s.LinesLost("tls", 1, full)
	s.LinesLost("alerts", 3, full)
	for name, want := range map[string]float64{"flows": 9, "tls": 1, "alerts": 3} {
		if got := testutil.ToFloat64(m.LogWriteErrors.WithLabelValues(name)); got != want {
			t.Errorf("tlsentry_log_write_errors_total{log=%q} = %v, want %v", name, got, want)
		}
	}
	if got := s.Stats().WriteErrors; got != 13 {
		t.Errorf("stats: %d write errors, want 13", got)
	}
}
