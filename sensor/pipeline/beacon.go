package pipeline

import (
	"cmp"
	"strconv"

	"github.com/tlsentry/tlsentry/detector/beacon"
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/sensor/metrics"
	"github.com/tlsentry/tlsentry/sensor/ratelimit"
	"github.com/tlsentry/tlsentry/sensor/signature"
	"github.com/tlsentry/tlsentry/sensor/verdict"
)

// BeaconAlert is a beacon finding that the allowlist let through: an
// alert record of its own (signature.Beacon), about a client and a
// destination rather than one flow. The sink writes it at Commit, as the
// record of the flow that completed the pattern (Index in the batch's
// Results) with the finding in its beacon object.
type BeaconAlert struct {
	beacon.Finding
	Index    int
	Severity int
	// Written: the rate limit let it through; HeldBefore counts the
	// alerts of its track held back since the last one written.
	Written    bool
	HeldBefore uint64
}

// beaconEvent is what the tracker takes of result i: its addresses,
// start and sizes, and, when parse is set and the pipeline parses TLS,
// the server name (and the JA4 when the pair's key needs it) its
// handshake showed. Flows without payload have none; shed flows are not
// parsed (shedding is for overload) and count by their addresses.
func (p *Pipeline) beaconEvent(b *Batch, i int, parse bool) beacon.Event {
	f := b.Results[i].Flow
	ev := beacon.Event{Time: f.Start, FlowID: f.ID, Client: f.Client.AddrPort().Addr(), Server: f.Server.AddrPort(),
		BytesToServer: f.BytesToServer, BytesToClient: f.BytesToClient}
	if !parse || b.parser == nil || len(f.Prefix) == 0 {
		return ev
	}
	if h := b.Handshake(i); h != nil {
		ev.SNI = h.ServerName() // a Google QUIC hello's too
		if p.beaconJA4 && h.Client != nil {
			ev.JA4 = h.Prints(h.Transport()).JA4
		}
	}
	return ev
}

// trackBeacons turns the beacon findings the batch's flows completed
// (gather fed them to the tracker, in commit order with an ordered
// pipeline: the same findings on every run) into BeaconAlerts: the
// allowlist lets some off (counted), the rate limit holds some back
// (counted, as for the other alerts).
func (p *Pipeline) trackBeacons(b *Batch) {
	t := p.cfg.Beacons
	if t == nil {
		return
	}
	pol := p.judging.Load().policy
	for _, fd := range b.found {
		i := fd.index
		r := &b.Results[i]
		h := b.Handshake(i) // parsed again: findings are rare
		info := verdict.Info(r.Flow, h)
		fd.SNI, fd.JA4 = cmp.Or(fd.SNI, info.SNI), cmp.Or(fd.JA4, info.JA4)
		if pol != nil {
			if _, allowed := pol.Allow.Match(info); allowed {
				p.m.Beacon.AlertsAllowed.Inc()
				continue
			}
		}
		a := BeaconAlert{Finding: fd.Finding, Index: i, Severity: signature.Beacon().Severity(fd.Score), Written: true}
		if p.cfg.Limiter != nil {
			a.Written, a.HeldBefore = p.cfg.Limiter.Allow(ratelimit.Alert{SignatureID: signature.BeaconID,
				Src: fd.Client, Dst: fd.Server.Addr(), Fingerprint: cmp.Or(info.JA4, info.JA3), Time: r.Flow.End})
			if !a.Written {
				p.m.AlertsRateLimited.WithLabelValues(strconv.Itoa(signature.BeaconID)).Inc()
			}
		}
		b.Beacons = append(b.Beacons, a)
	}
	st := t.Stats()
	p.m.Beacon.Set(metrics.BeaconCounts{Pairs: st.Pairs, Destinations: st.Destinations, Events: st.Events,
		PairEvictions: st.PairEvictions, Findings: st.Findings, Updates: st.Updates})
}

// beaconFlow is the flow a beacon alert's record is made of.
func beaconFlow(b *Batch, a *BeaconAlert) *flow.Flow { return b.Results[a.Index].Flow }
