package eve_test

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/tlsentry/tlsentry/internal/testkit"
	"github.com/tlsentry/tlsentry/sensor/eve"
)

func beaconAlert() eve.FlowRecord {
	return eve.FlowRecord{Timestamp: "2026-11-01T12:00:00.000000+0000", FlowID: 7, EventType: eve.TypeAlert,
		SrcIP: "10.0.0.1", SrcPort: 50000, DestIP: "192.0.2.7", DestPort: 443, Proto: "TCP",
		CommunityID: "1:eh2BkE1RNYSB9bcoKR5gylYKVLQ=", AppProto: "tls",
		Alert: &eve.Alert{Action: "allowed", GID: 1, SignatureID: 8100040, Rev: 1, Signature: "TLSENTRY periodic connections (beaconing)",
			Category: "A Network Trojan was detected", Severity: 2, Metadata: &eve.AlertMeta{Layer: []string{"rhythm"}}},
		Flow: eve.FlowStats{Start: "2026-11-01T12:00:00.000000+0000", End: "2026-11-01T12:00:00.100000+0000", Reason: "fin", Alerted: true},
		Sensor: eve.Detail{PrefixLen: 3, Prefix: []byte{1, 2, 3},
			Verdict: &eve.Verdict{Model: "beacon", Score: 0.82, Threshold: 0.6, Alert: true, Reasons: []string{"a", "b"}, Finding: "a"},
			Beacon: &eve.BeaconRecord{ID: "00000000deadbeef", Seq: 1, Key: "sni", Client: "10.0.0.1", Destination: "c2.example",
				SNI: "c2.example", JA4: "t13d1516h2_8daaf6152771_02713d6af862", Period: 60.2, Spread: 4.1, Jitter: 0.07, Count: 47, Sampled: 47,
				Missed: 2, FirstSeen: "2026-11-01T11:13:00.000000+0000", LastSeen: "2026-11-01T12:00:00.000000+0000",
				BytesToServer: eve.BeaconSize{Median: 1204, MAD: 3}, BytesToClient: eve.BeaconSize{Median: 4000, MAD: 12.5},
				Clients: 1, NetworkClients: 300, Parts: eve.BeaconParts{Interval: 0.9, Beat: 0.95, Dispersion: 0.9, Skew: 0.8, Size: 1, Count: 1, Prevalence: 1},
				FlowIDs: []uint64{1, 2, 3}}}}
}

// TestBeaconRecordJSON: a periodic-connections alert encodes as
// encoding/json does, and fits the schema.
func TestBeaconRecordJSON(t *testing.T) {
	rec := beaconAlert()
	want, err := json.Marshal(&rec)
	if err != nil {
		t.Fatal(err)
	}
	got := rec.AppendJSON(nil)
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("%v: %s", err, got)
	}
	json.Unmarshal(want, &b)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("differs:\n got  %s\n want %s", got, want)
	}
	testkit.ValidateEve(t, got)
}

// TestBeaconRecordNotFinite: a number with no JSON form is written as 0,
// so the line stays valid JSON.
func TestBeaconRecordNotFinite(t *testing.T) {
	rec := beaconAlert()
	rec.Sensor.Beacon.Jitter, rec.Sensor.Beacon.Parts.Skew = math.NaN(), math.Inf(1)
	var v struct {
		Sensor struct {
			Beacon eve.BeaconRecord `json:"beacon"`
		} `json:"tlsentry"`
	}
	if err := json.Unmarshal(rec.AppendJSON(nil), &v); err != nil {
		t.Fatal(err)
	}
	if v.Sensor.Beacon.Jitter != 0 || v.Sensor.Beacon.Parts.Skew != 0 {
		t.Errorf("jitter %v, skew %v: want 0", v.Sensor.Beacon.Jitter, v.Sensor.Beacon.Parts.Skew)
	}
}

// TestBeaconRecordSchemaRefuses: the schema holds a beacon object to its
// shape (a record the sensor never writes is refused).
func TestBeaconRecordSchemaRefuses(t *testing.T) {
	for name, spoil := range map[string]func(*eve.BeaconRecord){
		"no flow ids":   func(b *eve.BeaconRecord) { b.FlowIDs = nil },
		"bad key":       func(b *eve.BeaconRecord) { b.Key = "client" },
		"part above 1":  func(b *eve.BeaconRecord) { b.Parts.Beat = 1.5 },
		"short id":      func(b *eve.BeaconRecord) { b.ID = "beef" },
		"seq 0":         func(b *eve.BeaconRecord) { b.Seq = 0 },
		"bad last seen": func(b *eve.BeaconRecord) { b.LastSeen = "yesterday" },
	} {
		rec := beaconAlert()
		spoil(rec.Sensor.Beacon)
		if err := testkit.CheckEve(rec.AppendJSON(nil)); err == nil {
			t.Errorf("%s: the schema took it", name)
		}
	}
}
