package eve_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/testkit"
	"github.com/tlsentry/tlsentry/sensor/eve"
)

// TestPickupAfterEviction: a flow picked up on a connection the table
// had forgotten says so in its tlsentry object, valid against the
// schema; other flows do not carry the field.
func TestPickupAfterEviction(t *testing.T) {
	for _, pickup := range []bool{true, false} {
		f := &flow.Flow{ID: 7, Start: time.Unix(1, 0), End: time.Unix(2, 0), Prefix: []byte("data"), Midstream: true,
			PrefixRuns: []flow.PrefixRun{{FromClient: true, Len: 4}}, PickupAfterEviction: pickup, EndReason: flow.EndIdle}
		f.Client.Port, f.Server.Port = 40000, 443
		rec := eve.NewFlowRecord(f, tlsparse.FromFlow(f, nil))
		line := rec.AppendJSON(nil)
		if err := testkit.CheckEve(line); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if got := bytes.Contains(line, []byte(`"pickup_after_eviction":true`)); got != pickup {
			t.Errorf("pickup %v: %s", pickup, line)
		}
	}
}
