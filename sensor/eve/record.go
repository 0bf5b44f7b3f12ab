package eve

import (
	"github.com/tlsentry/tlsentry/flow"
	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// FlowRecord is the JSON form of a flow, with Suricata eve.json names
// where Suricata has them.
type FlowRecord struct {
	Timestamp     string `json:"timestamp"`
	FlowID        uint64 `json:"flow_id"`
	EventType     string `json:"event_type"`
	SrcIP         string `json:"src_ip"`
	SrcPort       uint16 `json:"src_port"`
	DestIP        string `json:"dest_ip"`
	DestPort      uint16 `json:"dest_port"`
	Proto         string `json:"proto"`
	PktsToServer  uint64 `json:"pkts_toserver"`
	PktsToClient  uint64 `json:"pkts_toclient"`
	BytesToServer uint64 `json:"bytes_toserver"`
	BytesToClient uint64 `json:"bytes_toclient"`
	Start         string `json:"start"`
	End           string `json:"end"`
	EndReason     string `json:"end_reason"`
	// Midstream: the capture missed the connection's start.
	Midstream bool `json:"midstream,omitempty"`
	// ClientGuessed: no SYN or client greeting told the client; the port
	// numbers did.
	ClientGuessed bool   `json:"client_guessed,omitempty"`
	PrefixLen     int    `json:"prefix_len"`
	PrefixGap     bool   `json:"prefix_gap,omitempty"`
	Prefix        []byte `json:"prefix"` // base64 in JSON
	// AppProto is Suricata's name for what the flow spoke: "tls", or what
	// a non-TLS flow looks like ("ssh", "http", "binary"...), "empty"
	// without payload; "quic" for a QUIC flow.
	AppProto string `json:"app_proto,omitempty"`
	// TLS is the handshake of a TLS flow, or of a QUIC flow whose
	// Initial packets carried hellos.
	TLS     *TLSRecord     `json:"tls,omitempty"`
	QUIC    *QUICRecord    `json:"quic,omitempty"`
	Anomaly *AnomalyRecord `json:"anomaly,omitempty"`
}

// QUICRecord is what a QUIC flow's Initial packets showed.
type QUICRecord struct {
	// Version is the version of the client's Initials ("v1", "v2",
	// "draft-29", "T051", or the number in hex); empty when the client
	// sent none.
	Version string `json:"version,omitempty"`
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

// AnomalyRecord is the detector's verdict on a flow.
type AnomalyRecord struct {
	Model     string  `json:"model"` // kind/id of the model file
	Score     float64 `json:"score"`
	Threshold float64 `json:"threshold"`
	Alert     bool    `json:"alert"`
	// Reasons say, for an alert, what made the score: novel values and
	// the features that isolated the flow, most important first.
	Reasons []string `json:"reasons,omitempty"`
	// Suppressed names the allowlist reason (allowlist.Reasons) when the
	// flow scored at or above the threshold but is allowed: Alert is then
	// false and no alert was written.
	Suppressed string `json:"suppressed,omitempty"`
}

// NewFlowRecord fills a record from a flow and its parsed handshake.
func NewFlowRecord(f *flow.Flow, h *tlsparse.Handshake) FlowRecord {
	rec := flowRecord(f, h)
	rec.TLS = NewTLSRecord(h)
	return rec
}

// Memory is one goroutine's memory for the tls objects of the
// records it writes one after another: no allocation per flow.
type Memory struct {
	tls   tlsRecordMem
	times validityCache
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
	start := formatTime(f.Start)
	return FlowRecord{
		AppProto:      h.AppProto,
		Timestamp:     start,
		FlowID:        f.ID,
		EventType:     "flow",
		SrcIP:         c.Addr().String(),
		SrcPort:       c.Port(),
		DestIP:        s.Addr().String(),
		DestPort:      s.Port(),
		Proto:         f.Transport.String(),
		PktsToServer:  f.PktsToServer,
		PktsToClient:  f.PktsToClient,
		BytesToServer: f.BytesToServer,
		BytesToClient: f.BytesToClient,
		Start:         start,
		End:           formatTime(f.End),
		EndReason:     f.EndReason.String(),
		Midstream:     f.Midstream,
		ClientGuessed: f.ClientByPort,
		PrefixLen:     len(f.Prefix),
		PrefixGap:     f.PrefixGap,
		Prefix:        f.Prefix,
		QUIC:          NewQUICRecord(f.QUIC),
	}
}
