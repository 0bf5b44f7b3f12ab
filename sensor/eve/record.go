package eve

import (
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// Event types of the records.
const (
	TypeFlow  = "flow"  // a flow, when it ends (or is handed out)
	TypeAlert = "alert" // one finding of the detector on a flow
	TypeTLS   = "tls"   // a TLS session, alerting or not
)

// FlowRecord is the JSON form of a flow in Suricata's eve.json layout:
// the flow's addresses, community_id and app_proto at the top, its
// counters in the flow object, its TLS handshake in the tls object, an
// alert's signature in the alert object (alert records only), and what is
// tlsentry's own (the prefix, the detector's verdict) in the tlsentry
// object, a name that collides with nothing in eve.json.
type FlowRecord struct {
	Timestamp string `json:"timestamp"`
	FlowID    uint64 `json:"flow_id"`
	// InIface is the capture interface (live capture only).
	InIface     string `json:"in_iface,omitempty"`
	EventType   string `json:"event_type"`
	SrcIP       string `json:"src_ip"`
	SrcPort     uint16 `json:"src_port"`
	DestIP      string `json:"dest_ip"`
	DestPort    uint16 `json:"dest_port"`
	Proto       string `json:"proto"`
	CommunityID string `json:"community_id"`
	// AppProto is Suricata's name for what the flow spoke: "tls", or what
	// a non-TLS flow looks like ("ssh", "http", "binary"...), "empty"
	// without payload; "quic" for a QUIC flow.
	AppProto string    `json:"app_proto,omitempty"`
	Alert    *Alert    `json:"alert,omitempty"`
	Flow     FlowStats `json:"flow"`
	// TLS is the handshake of a TLS flow, or of a QUIC flow whose Initial
	// packets carried hellos; QUIC what a QUIC flow's Initials showed.
	TLS    *TLSRecord  `json:"tls,omitempty"`
	QUIC   *QUICRecord `json:"quic,omitempty"`
	Sensor Detail      `json:"tlsentry"`
}

// FlowStats is the eve flow object: the flow's counters and times as
// Suricata nests them.
type FlowStats struct {
	PktsToServer  uint64 `json:"pkts_toserver"`
	PktsToClient  uint64 `json:"pkts_toclient"`
	BytesToServer uint64 `json:"bytes_toserver"`
	BytesToClient uint64 `json:"bytes_toclient"`
	Start         string `json:"start"`
	End           string `json:"end"`
	Age           int64  `json:"age"` // whole seconds from start to end
	// Reason is why the flow was handed out (flow.EndReason: complete,
	// fin, rst, idle_timeout, max_age, evicted, reused, flush, decided,
	// verdict_timeout).
	Reason  string `json:"reason"`
	Alerted bool   `json:"alerted"`
}

// Alert is the eve alert object: which signature of tlsentry's catalogue
// the finding is, how severe (1 high to 3 low), in Suricata's fields.
type Alert struct {
	Action      string     `json:"action"` // always "allowed": the sensor is passive
	GID         int        `json:"gid"`
	SignatureID int        `json:"signature_id"`
	Rev         int        `json:"rev"`
	Signature   string     `json:"signature"`
	Category    string     `json:"category"`
	Severity    int        `json:"severity"`
	Metadata    *AlertMeta `json:"metadata,omitempty"`
}

// Conflict is one side's stream bytes sent twice, different
// (flow.Conflict): where (the side's stream offset of the first byte that
// differed), what the sensor kept and what a later segment said instead
// (up to 16 bytes each, base64), and how many segments disagreed.
type Conflict struct {
	Side     string `json:"side"` // "client" or "server"
	Offset   int    `json:"offset"`
	Kept     []byte `json:"kept"`
	Other    []byte `json:"other"`
	Segments int    `json:"segments"`
}

func conflictsOf(f *flow.Flow) []Conflict {
	var out []Conflict
	for _, c := range [...]struct {
		side string
		c    *flow.Conflict
	}{{"client", f.ClientConflict}, {"server", f.ServerConflict}} {
		if c.c != nil {
			out = append(out, Conflict{Side: c.side, Offset: c.c.Offset, Kept: c.c.Kept, Other: c.c.Other, Segments: c.c.Segments})
		}
	}
	return out
}

// Stray is one side's stray data (flow.Stray), bytes no endpoint takes:
// the stream offset the first segment claimed, its first bytes (up to 16,
// base64), how many segments and bytes.
type Stray struct {
	Side     string `json:"side"` // "client" or "server"
	Offset   int    `json:"offset"`
	Data     []byte `json:"data"`
	Segments int    `json:"segments"`
	Bytes    int    `json:"bytes"`
}

// straysOf lists a flow's client and server stray data of one kind.
func straysOf(client, server *flow.Stray) []Stray {
	var out []Stray
	for _, n := range [...]struct {
		side string
		n    *flow.Stray
	}{{"client", client}, {"server", server}} {
		if n.n != nil {
			out = append(out, Stray{Side: n.side, Offset: n.n.Offset, Data: n.n.Data, Segments: n.n.Segments, Bytes: n.n.Bytes})
		}
	}
	return out
}

// TinyFragments is one side's segments that came in IP fragments smaller
// than any link needs (flow.Fragmented): how many, and the IP length of
// the smallest fragment.
type TinyFragments struct {
	Side     string `json:"side"` // "client" or "server"
	Segments int    `json:"segments"`
	Smallest int    `json:"smallest"`
}

// tinyFragmentsOf lists a flow's client and server tiny fragments.
func tinyFragmentsOf(client, server *flow.Fragmented) []TinyFragments {
	var out []TinyFragments
	for _, n := range [...]struct {
		side string
		f    *flow.Fragmented
	}{{"client", client}, {"server", server}} {
		if n.f != nil {
			out = append(out, TinyFragments{Side: n.side, Segments: n.f.Segments, Smallest: n.f.Smallest})
		}
	}
	return out
}

// AlertMeta is the alert's metadata, as Suricata's rule metadata: lists
// of values by key.
type AlertMeta struct {
	Layer []string `json:"layer,omitempty"` // evidence, learned, lists, rhythm, exploit, scan
	Check []string `json:"check,omitempty"` // the detector's check ids behind the finding
}

// Detail is the tlsentry object: the flow's first bytes and the
// detector's verdict.
type Detail struct {
	// Midstream: the capture missed the connection's start.
	Midstream bool `json:"midstream,omitempty"`
	// PickupAfterEviction: a mid-stream flow on a connection already
	// handed out and then forgotten for want of room (flow.Config
	// MaxRemembered): its earlier record is in the log with another ID.
	PickupAfterEviction bool `json:"pickup_after_eviction,omitempty"`
	// ClientGuessed: no SYN or client greeting told the client; the port
	// numbers did.
	ClientGuessed bool `json:"client_guessed,omitempty"`
	PrefixLen     int  `json:"prefix_len"`
	PrefixGap     bool `json:"prefix_gap,omitempty"`
	// OverlapDifferentData: segments of a side contradicted bytes of its
	// stream already received (Suricata's stream event of that name).
	OverlapDifferentData []Conflict `json:"overlap_different_data,omitempty"`
	// DataWithoutACK: a side sent data on segments without the ACK flag,
	// which no endpoint takes (left out of the flow).
	DataWithoutACK []Stray `json:"data_without_ack,omitempty"`
	// DataBeforeStart: a side sent data at sequence numbers before its
	// stream's first byte, which no receiver takes (left out of the flow).
	DataBeforeStart []Stray `json:"data_before_start,omitempty"`
	// DataUnexpectedSignature: a side sent data on segments with a TCP
	// MD5 signature or TCP-AO option its SYN lacked, which a TCP without
	// a key drops (left out of the flow).
	DataUnexpectedSignature []Stray `json:"data_unexpected_signature,omitempty"`
	// IPTinyFragments: a side's segments came in IP fragments smaller
	// than any link needs (reassembled into the flow).
	IPTinyFragments []TinyFragments `json:"ip_tiny_fragments,omitempty"`
	Prefix          []byte          `json:"prefix"` // base64 in JSON
	// Unscored says why a flow with payload was not scored: "shed" (the
	// live queue was full; ShedReason says which flows it kept instead).
	Unscored   string `json:"unscored,omitempty"`
	ShedReason string `json:"shed_reason,omitempty"`
	*Verdict
	// Beacon is the evidence of a periodic-connections alert.
	Beacon *BeaconRecord `json:"beacon,omitempty"`
}

// QUICRecord is what a QUIC flow's Initial packets showed.
type QUICRecord struct {
	// Version is the version of the client's Initials ("v1", "v2",
	// "draft-29", "T051", or the number in hex); empty when the client
	// sent none.
	Version string `json:"version,omitempty"`
	// SNI and UA are the server name and user agent a client's Google
	// QUIC hello (CHLO, of the Q0xx versions) named: Suricata's quic.sni
	// and quic.ua. A TLS hello's server name is in the tls object.
	SNI string `json:"sni,omitempty"`
	UA  string `json:"ua,omitempty"`
	// CYU are the CYU fingerprints of the client's hellos, one per CHLO
	// (Suricata's quic.cyu: the MD5 of "46,PAD-SNI-...", the version and
	// the tags), for the Google versions that send their hellos in clear
	// (Q039 to Q046).
	CYU []Hashed `json:"cyu,omitempty"`
	// DCIDLen and SCIDLen are the connection ID lengths of the client's
	// first Initial.
	DCIDLen int `json:"dcid_len"`
	SCIDLen int `json:"scid_len"`
	// Initial packets seen each way, and the CRYPTO bytes they gave (the
	// contiguous stream from offset 0: the hellos).
	InitialsToServer int `json:"initials_toserver"`
	InitialsToClient int `json:"initials_toclient"`
	CryptoToServer   int `json:"crypto_bytes_toserver"`
	CryptoToClient   int `json:"crypto_bytes_toclient"`
	// DecryptFailures counts the Initial packets (both ways) that did not
	// open with the Initial keys.
	DecryptFailures    int `json:"decrypt_failures"`
	Retry              int `json:"retry,omitempty"`
	VersionNegotiation int `json:"version_negotiation,omitempty"`
	// Undecrypted: the flow looked like QUIC, yet none of the client's
	// Initials opened.
	Undecrypted bool `json:"undecrypted,omitempty"`
	// Error is the first problem met in the packets (malformed, not
	// decrypting, breaking the protocol); later ones are only counted.
	Error string `json:"error,omitempty"`
}

// NewQUICRecord is the quic object of a QUIC flow; nil for other flows.
func NewQUICRecord(q *flow.QUIC) *QUICRecord {
	if q == nil {
		return nil
	}
	r := &QUICRecord{
		DCIDLen:            q.DCIDLen,
		SCIDLen:            q.SCIDLen,
		InitialsToServer:   q.Client.Initials,
		InitialsToClient:   q.Server.Initials,
		CryptoToServer:     q.Client.CryptoBytes,
		CryptoToClient:     q.Server.CryptoBytes,
		DecryptFailures:    q.Client.DecryptFailures + q.Server.DecryptFailures,
		Retry:              q.Retry,
		VersionNegotiation: q.VersionNegotiation,
		Undecrypted:        q.Undecrypted,
	}
	if q.Version != 0 {
		r.Version = q.Version.String()
	}
	if q.Err != nil {
		r.Error = q.Err.Error()
	}
	return r
}

// Verdict is the detector's verdict on a scored flow.
type Verdict struct {
	Model     string  `json:"model"` // kind/id of the model file
	Score     float64 `json:"score"`
	Threshold float64 `json:"threshold"`
	Alert     bool    `json:"alert"`
	// Reasons say, for an alert, what made the score, most important
	// first; Finding is the one an alert record is about.
	Reasons []string `json:"reasons,omitempty"`
	Finding string   `json:"finding,omitempty"`
	// Suppressed names the allowlist reason (allowlist.Reasons) when the
	// flow scored at or above the threshold but is allowed: Alert is then
	// false and no alert was written. AlertsSuppressed, in an alert
	// record, counts the alerts of the same signature and track that the
	// rate limit held back since the last one written.
	Suppressed       string `json:"suppressed,omitempty"`
	AlertsSuppressed uint64 `json:"alerts_suppressed,omitempty"`
	// Pcap names the capture file written for an alert.
	Pcap string `json:"pcap,omitempty"`
}

// NewFlowRecord fills a record from a flow and its parsed handshake.
func NewFlowRecord(f *flow.Flow, h *tlsparse.Handshake) FlowRecord {
	rec := flowRecord(f, h)
	rec.TLS = NewTLSRecord(h)
	return rec
}

// Memory is one goroutine's memory for the tls objects (and the spliced
// alert records) of the records it writes one after another: no
// allocation per flow.
type Memory struct {
	tls     tlsRecordMem
	times   validityCache
	spliced Spliced
}

// Splice encodes rec for its alert records and itself in m (Spliced);
// valid until the next call.
func (m *Memory) Splice(rec *FlowRecord, body bool) *Spliced {
	m.spliced.Splice(rec, body)
	return &m.spliced
}

// flowRecord is NewFlowRecord with the tls object in m: valid until the
// next call.
func (m *Memory) FlowRecord(f *flow.Flow, h *tlsparse.Handshake) FlowRecord {
	rec := flowRecord(f, h)
	if h.SpokeTLS() {
		m.tls = tlsRecordMem{}
		m.tls.fill(h, &m.times)
		rec.TLS = &m.tls.r
	}
	return rec
}

// flowRecord fills a record but for its tls object.
func flowRecord(f *flow.Flow, h *tlsparse.Handshake) FlowRecord {
	c, s := f.Client.AddrPort(), f.Server.AddrPort()
	start := FormatTime(f.Start)
	return FlowRecord{
		AppProto:    h.AppProto,
		Timestamp:   start,
		FlowID:      f.ID,
		EventType:   TypeFlow,
		SrcIP:       c.Addr().String(),
		SrcPort:     c.Port(),
		DestIP:      s.Addr().String(),
		DestPort:    s.Port(),
		Proto:       f.Transport.String(),
		CommunityID: CommunityID(0, protoNumber(f.Transport), c, s, true),
		Flow: FlowStats{
			PktsToServer:  f.PktsToServer,
			PktsToClient:  f.PktsToClient,
			BytesToServer: f.BytesToServer,
			BytesToClient: f.BytesToClient,
			Start:         start,
			End:           FormatTime(f.End),
			Age:           int64(f.End.Sub(f.Start).Seconds()),
			Reason:        f.EndReason.String(),
		},
		Sensor: Detail{
			Midstream:               f.Midstream,
			PickupAfterEviction:     f.PickupAfterEviction,
			ClientGuessed:           f.ClientByPort,
			PrefixLen:               len(f.Prefix),
			PrefixGap:               f.PrefixGap,
			OverlapDifferentData:    conflictsOf(f),
			DataWithoutACK:          straysOf(f.ClientNoACK, f.ServerNoACK),
			DataBeforeStart:         straysOf(f.ClientBeforeStart, f.ServerBeforeStart),
			DataUnexpectedSignature: straysOf(f.ClientSigned, f.ServerSigned),
			IPTinyFragments:         tinyFragmentsOf(f.ClientTinyFragments, f.ServerTinyFragments),
			Prefix:                  f.Prefix,
		},
		QUIC: newQUICRecord(f.QUIC, h),
	}
}

// newQUICRecord is NewQUICRecord with what a Google QUIC hello said.
func newQUICRecord(q *flow.QUIC, h *tlsparse.Handshake) *QUICRecord {
	r := NewQUICRecord(q)
	if r == nil {
		return nil
	}
	if g := h.Google; g != nil && g.Hello != nil {
		r.SNI, r.UA = g.Hello.SNI, g.Hello.UAID
		for _, hello := range g.Hellos {
			if c, ok := hello.CYU(q.Version); ok {
				r.CYU = append(r.CYU, Hashed{Hash: c.Hash, String: c.String})
			}
		}
	} else if g != nil && g.Err != nil && r.Error == "" {
		r.Error = g.Err.Error()
	}
	return r
}

// protoNumber is the IP protocol number of a transport, for community_id.
func protoNumber(t flow.Transport) uint8 {
	if t == flow.TransportUDP {
		return ProtoUDP
	}
	return ProtoTCP
}
