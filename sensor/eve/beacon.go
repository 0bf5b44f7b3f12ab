package eve

import (
	"math"
	"strconv"
)

// BeaconRecord is the beacon object of a periodic-connections alert
// (tlsentry.beacon): the pair whose connections keep a rhythm and the
// evidence in numbers (package detector/beacon's Finding). Times are in
// Suricata's layout, durations in seconds, sizes in bytes.
type BeaconRecord struct {
	// ID is the same for a pair's first alert in a window and its updates
	// (16 hex digits); Seq is 1 for the first, 2 and on for updates.
	ID     string `json:"id"`
	Update bool   `json:"update"`
	Seq    int    `json:"seq"`
	// Key is what makes the pair: server, sni or ja4+server.
	Key         string `json:"key"`
	Client      string `json:"client"`
	Destination string `json:"destination"`
	SNI         string `json:"sni,omitempty"`
	JA4         string `json:"ja4,omitempty"`
	// Period is the median interval between connections (missed beats
	// folded), Spread the interquartile range of the intervals, Jitter
	// the spread over the period.
	Period float64 `json:"period"`
	Spread float64 `json:"spread"`
	Jitter float64 `json:"jitter"`
	// Count is the pair's connections since FirstSeen; Sampled the latest
	// of them the statistics are over; Missed the beats missing there.
	Count     int64  `json:"count"`
	Sampled   int    `json:"sampled"`
	Missed    int    `json:"missed"`
	FirstSeen string `json:"first_seen"`
	LastSeen  string `json:"last_seen"`
	// Sizes per connection: median and median absolute deviation.
	BytesToServer BeaconSize `json:"bytes_toserver"`
	BytesToClient BeaconSize `json:"bytes_toclient"`
	// Clients is the distinct clients that talk to the destination,
	// NetworkClients those seen in all.
	Clients        int `json:"clients"`
	NetworkClients int `json:"network_clients"`
	// Parts are the score's parts, each 0 to 1.
	Parts BeaconParts `json:"parts"`
	// FlowIDs are the flow ids of the latest connections, oldest first.
	FlowIDs []uint64 `json:"flow_ids"`
}

// BeaconSize is the centre and spread of a pair's connection sizes.
type BeaconSize struct {
	Median float64 `json:"median"`
	MAD    float64 `json:"mad"`
}

// BeaconParts are the parts of a beacon score.
type BeaconParts struct {
	Interval   float64 `json:"interval"`
	Beat       float64 `json:"beat"`
	Dispersion float64 `json:"dispersion"`
	Skew       float64 `json:"skew"`
	Size       float64 `json:"size"`
	Count      float64 `json:"count"`
	Prevalence float64 `json:"prevalence"`
}

func (r *BeaconRecord) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, r.ID)
	b = append(b, `,"update":`...)
	b = strconv.AppendBool(b, r.Update)
	b = appendIntField(b, "seq", int64(r.Seq))
	b = appendStringField(b, "key", r.Key)
	b = appendStringField(b, "client", r.Client)
	b = appendStringField(b, "destination", r.Destination)
	if r.SNI != "" {
		b = appendStringField(b, "sni", r.SNI)
	}
	if r.JA4 != "" {
		b = appendStringField(b, "ja4", r.JA4)
	}
	b = appendFloatField(b, "period", r.Period)
	b = appendFloatField(b, "spread", r.Spread)
	b = appendFloatField(b, "jitter", r.Jitter)
	b = appendIntField(b, "count", r.Count)
	b = appendIntField(b, "sampled", int64(r.Sampled))
	b = appendIntField(b, "missed", int64(r.Missed))
	b = appendStringField(b, "first_seen", r.FirstSeen)
	b = appendStringField(b, "last_seen", r.LastSeen)
	b = append(b, `,"bytes_toserver":`...)
	b = r.BytesToServer.appendJSON(b)
	b = append(b, `,"bytes_toclient":`...)
	b = r.BytesToClient.appendJSON(b)
	b = appendIntField(b, "clients", int64(r.Clients))
	b = appendIntField(b, "network_clients", int64(r.NetworkClients))
	p := &r.Parts
	b = append(b, `,"parts":{"interval":`...)
	b = appendFloat(b, p.Interval)
	b = appendFloatField(b, "beat", p.Beat)
	b = appendFloatField(b, "dispersion", p.Dispersion)
	b = appendFloatField(b, "skew", p.Skew)
	b = appendFloatField(b, "size", p.Size)
	b = appendFloatField(b, "count", p.Count)
	b = appendFloatField(b, "prevalence", p.Prevalence)
	b = append(b, `},"flow_ids":[`...)
	for i, id := range r.FlowIDs {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, id, 10)
	}
	return append(b, ']', '}')
}

func (s *BeaconSize) appendJSON(b []byte) []byte {
	b = append(b, `{"median":`...)
	b = appendFloat(b, s.Median)
	b = appendFloatField(b, "mad", s.MAD)
	return append(b, '}')
}

func appendIntField(b []byte, name string, v int64) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return strconv.AppendInt(b, v, 10)
}

// appendFloatField writes a number; one that is not finite (no JSON
// number says it) is written as 0.
func appendFloatField(b []byte, name string, v float64) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendFloat(b, v)
}

func appendFloat(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}
