package pipeline

import (
	"encoding/binary"
	"encoding/hex"

	"github.com/tlsentry/tlsentry/detector/beacon"
	"github.com/tlsentry/tlsentry/sensor/eve"
	"github.com/tlsentry/tlsentry/sensor/signature"
)

// BeaconModel names the beacon tracker in the verdict of its alerts.
const BeaconModel = "beacon"

// beaconRecord is a beacon alert's record: the record of the flow that
// completed the pattern, as an alert of the periodic-connections
// signature at the flow's last packet time, the finding's score,
// threshold and reasons in the verdict and its evidence in the beacon
// object. It uses mem as FlowRecord does.
func beaconRecord(mem *eve.Memory, b *Batch, a *BeaconAlert) eve.FlowRecord {
	f := *beaconFlow(b, a) // a copy: one time zone for the whole line
	f.Start, f.End = f.Start.UTC(), f.End.UTC()
	h := b.Handshake(a.Index)
	if h == nil {
		h = noHandshake
	}
	rec := mem.FlowRecord(&f, h)
	rec.InIface = b.InIface
	rec.EventType, rec.Timestamp = eve.TypeAlert, eve.FormatTime(f.End)
	sig := signature.Beacon()
	rec.Alert = &eve.Alert{Action: "allowed", GID: signature.GID, SignatureID: sig.ID, Rev: sig.Rev, Signature: sig.Name,
		Category: sig.Category, Severity: a.Severity, Metadata: &eve.AlertMeta{Layer: []string{sig.Layer}, Check: []string{beaconCheck}}}
	rec.Flow.Alerted = true
	v := &eve.Verdict{Model: BeaconModel, Score: a.Score, Threshold: a.Threshold, Alert: true, Reasons: a.Reasons,
		AlertsSuppressed: a.HeldBefore}
	if len(a.Reasons) > 0 {
		v.Finding = a.Reasons[0]
	}
	rec.Sensor.Verdict = v
	rec.Sensor.Beacon = beaconObject(&a.Finding)
	return rec
}

// beaconCheck is the check id of a beacon finding (the signature's
// prefix "beacon.").
const beaconCheck = "beacon.periodic"

// beaconObject is a finding's evidence for the record's beacon object.
func beaconObject(f *beacon.Finding) *eve.BeaconRecord {
	var id [8]byte
	binary.BigEndian.PutUint64(id[:], f.ID)
	return &eve.BeaconRecord{
		ID: hex.EncodeToString(id[:]), Update: f.Update, Seq: f.Seq, Key: f.Key.String(),
		Client: f.Client.String(), Destination: f.Destination, SNI: f.SNI, JA4: f.JA4,
		Period: f.Period.Seconds(), Spread: f.Spread.Seconds(), Jitter: f.Jitter,
		Count: f.Count, Sampled: f.Sampled, Missed: f.Missed,
		FirstSeen: eve.FormatTime(f.FirstSeen.UTC()), LastSeen: eve.FormatTime(f.LastSeen.UTC()),
		BytesToServer: eve.BeaconSize{Median: f.ToServer.Median, MAD: f.ToServer.MAD},
		BytesToClient: eve.BeaconSize{Median: f.ToClient.Median, MAD: f.ToClient.MAD},
		Clients:       f.Clients, NetworkClients: f.NetworkClients,
		Parts: eve.BeaconParts{Interval: f.Parts.Interval, Beat: f.Parts.Beat, Dispersion: f.Parts.Dispersion, Skew: f.Parts.Skew,
			Size: f.Parts.Size, Count: f.Parts.Count, Prevalence: f.Parts.Prevalence},
		FlowIDs: f.FlowIDs,
	}
}
