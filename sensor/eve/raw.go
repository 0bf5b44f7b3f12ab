package eve

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"

	"github.com/tlsentry/tlsentry/flow"
)

// The raw object, in a flow record's tlsentry object
// (output.include_handshake), carries what the detector learns from
// besides the prefix, so that a model can be trained on records (tlsentry
// train from the NATS stream) as on captures: the prefix's turns (client
// runs positive, server runs negative), whether the last turn stands for
// several, and each direction's first handshake messages as captured
// (base64), with whether missing bytes were crossed and whether they were
// read out of OpenVPN's framing, and each direction's first record
// headers (flow.RecordHeader, 8 bytes each, base64).
//
//	"tlsentry":{"prefix_len":1024,...,"raw":{"prefix_runs":[517,-507],"client_handshake":"FgMB...","server_handshake":"FgMD..."}}

// AppendRaw adds the raw object to a record body written by AppendBody or
// AppendJSON: the tlsentry object is the record's last member, so the
// body ends with its closing brace and the record's, and the raw object
// goes before them.
func AppendRaw(body []byte, f *flow.Flow) []byte {
	n := len(body)
	if n < 2 || body[n-1] != '}' || body[n-2] != '}' {
		return body
	}
	body = body[:n-2]
	body = append(body, `,"raw":{"prefix_runs":[`...)
	for i, r := range f.PrefixRuns {
		if i > 0 {
			body = append(body, ',')
		}
		n := int64(r.Len)
		if !r.FromClient {
			n = -n
		}
		body = strconv.AppendInt(body, n, 10)
	}
	body = append(body, ']')
	if k := len(f.PrefixRuns); k > 0 && f.PrefixRuns[k-1].Mixed {
		body = append(body, `,"prefix_runs_mixed":true`...)
	}
	for _, side := range []struct {
		name string
		hs   []byte
		gap  bool
	}{{"client", f.ClientHandshake, f.ClientHandshakeGap}, {"server", f.ServerHandshake, f.ServerHandshakeGap}} {
		if len(side.hs) > 0 {
			body = append(body, `,"`...)
			body = append(body, side.name...)
			body = append(body, `_handshake":"`...)
			body = base64.StdEncoding.AppendEncode(body, side.hs)
			body = append(body, '"')
		}
		if side.gap {
			body = append(body, `,"`...)
			body = append(body, side.name...)
			body = append(body, `_handshake_gap":true`...)
		}
	}
	for _, side := range []struct {
		name   string
		holed  bool
		intact int
	}{{"client", f.ClientHoled, f.ClientIntact}, {"server", f.ServerHoled, f.ServerIntact}} {
		if side.holed {
			body = append(body, `,"`...)
			body = append(body, side.name...)
			body = append(body, `_intact":`...)
			body = strconv.AppendInt(body, int64(side.intact), 10)
		}
	}
	if f.OpenVPN {
		body = append(body, `,"handshake_in_openvpn":true`...)
	}
	if clientSYNMissed(f) {
		body = append(body, `,"client_syn_missed":true`...)
	}
	if f.ServerAnswered {
		body = append(body, `,"server_answered":true`...)
	}
	for _, side := range []struct {
		name string
		recs []flow.RecordHeader
	}{{"client", f.ClientRecords}, {"server", f.ServerRecords}} {
		if len(side.recs) > 0 {
			body = append(body, `,"`...)
			body = append(body, side.name...)
			body = append(body, `_records":"`...)
			body = base64.StdEncoding.AppendEncode(body, packRecords(side.recs))
			body = append(body, '"')
		}
	}
	return append(body, "}}}"...)
}

// recordSize is a record header's size in the raw object: content type,
// whether in clear, how many head bytes, the head, the length (two bytes).
const recordSize = 8

// packRecords writes record headers recordSize bytes each.
func packRecords(recs []flow.RecordHeader) []byte {
	out := make([]byte, 0, len(recs)*recordSize)
	for _, r := range recs {
		clear := byte(0)
		if r.Clear {
			clear = 1
		}
		out = append(out, r.Type, clear, r.HeadLen, r.Head[0], r.Head[1], r.Head[2], byte(r.Len>>8), byte(r.Len))
	}
	return out
}

// unpackRecords reads what packRecords wrote, refusing what the flow
// table never writes.
func unpackRecords(b []byte) ([]flow.RecordHeader, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if len(b)%recordSize != 0 || len(b)/recordSize > flow.MaxRecordLog {
		return nil, fmt.Errorf("eve: records of %d bytes (%d bytes each, at most %d)", len(b), recordSize, flow.MaxRecordLog)
	}
	out := make([]flow.RecordHeader, 0, len(b)/recordSize)
	for ; len(b) > 0; b = b[recordSize:] {
		r := flow.RecordHeader{Type: b[0], Clear: b[1] == 1, HeadLen: b[2], Head: [3]byte{b[3], b[4], b[5]}, Len: uint16(b[6])<<8 | uint16(b[7])}
		if r.Type < 20 || r.Type > 24 || b[1] > 1 || r.HeadLen > 3 || r.HeadLen > 0 && !r.Clear || int(r.HeadLen) > int(r.Len) {
			return nil, fmt.Errorf("eve: record header % x is not one the sensor writes", b[:recordSize])
		}
		out = append(out, r)
	}
	return out, nil
}

// clientSYNMissed is a TCP connection seen from the server's SYN-ACK: not
// mid-stream, yet the client's SYN, which may carry its first bytes, was
// not seen. Said in the negative so that records written before the
// field read as they did: a TCP flow not mid-stream was seen from its SYN.
func clientSYNMissed(f *flow.Flow) bool {
	return f.Transport == flow.TransportTCP && !f.Midstream && !f.ClientSYN
}

// Bounds of the flow lines ParseFlowLine takes.
const (
	MaxFlowLine      = 4 << 20
	maxPrefixRuns    = 64
	maxHandshakeSize = flow.MaxHandshakeLimit
)

// ErrNoRaw says a flow line has no raw object in its tlsentry object: the sensor that wrote it
// did not include the handshakes (output.include_handshake), so the flow
// cannot be learned from.
var ErrNoRaw = errors.New("eve: flow record without its raw handshake bytes (output.include_handshake off)")

// flowLine is what ParseFlowLine reads of an eve flow or alert line.
type flowLine struct {
	EventType string `json:"event_type"`
	FlowID    uint64 `json:"flow_id"`
	SrcIP     string `json:"src_ip"`
	SrcPort   uint16 `json:"src_port"`
	DestIP    string `json:"dest_ip"`
	DestPort  uint16 `json:"dest_port"`
	Proto     string `json:"proto"`
	QUIC      *struct {
		DCIDLen          int  `json:"dcid_len"`
		SCIDLen          int  `json:"scid_len"`
		InitialsToServer int  `json:"initials_toserver"`
		InitialsToClient int  `json:"initials_toclient"`
		CryptoToServer   int  `json:"crypto_bytes_toserver"`
		CryptoToClient   int  `json:"crypto_bytes_toclient"`
		DecryptFailures  int  `json:"decrypt_failures"`
		Retry            int  `json:"retry"`
		VersionNeg       int  `json:"version_negotiation"`
		Undecrypted      bool `json:"undecrypted"`
	} `json:"quic"`
	Flow struct {
		PktsToServer  uint64 `json:"pkts_toserver"`
		PktsToClient  uint64 `json:"pkts_toclient"`
		BytesToServer uint64 `json:"bytes_toserver"`
		BytesToClient uint64 `json:"bytes_toclient"`
		Start         string `json:"start"`
		End           string `json:"end"`
		Reason        string `json:"reason"`
	} `json:"flow"`
	Sensor struct {
		Midstream     bool    `json:"midstream"`
		ClientGuessed bool    `json:"client_guessed"`
		PrefixGap     bool    `json:"prefix_gap"`
		Prefix        []byte  `json:"prefix"`
		Raw           *rawObj `json:"raw"`
	} `json:"tlsentry"`
}

type rawObj struct {
	PrefixRuns         []int64 `json:"prefix_runs"`
	PrefixRunsMixed    bool    `json:"prefix_runs_mixed"`
	ClientHandshake    []byte  `json:"client_handshake"`
	ServerHandshake    []byte  `json:"server_handshake"`
	ClientHandshakeGap bool    `json:"client_handshake_gap"`
	ServerHandshakeGap bool    `json:"server_handshake_gap"`
	// *Intact, present when the side missed bytes: its prefix bytes
	// before the first missing one (flow.Flow.ClientIntact).
	ClientIntact    *int   `json:"client_intact"`
	ServerIntact    *int   `json:"server_intact"`
	OpenVPN         bool   `json:"handshake_in_openvpn"`
	ClientSYNMissed bool   `json:"client_syn_missed"`
	ServerAnswered  bool   `json:"server_answered"`
	ClientRecords   []byte `json:"client_records"`
	ServerRecords   []byte `json:"server_records"`
}

// ParseFlowLine turns an eve flow (or alert) line written with the raw
// object back into the flow the sensor scored: what training needs of it
// (addresses, times, counters, prefix and its turns, handshakes). A line
// without a raw object gives ErrNoRaw; anything malformed, out of bounds
// or inconsistent (runs that do not add up to the prefix) an error.
func ParseFlowLine(line []byte) (*flow.Flow, error) {
	if len(line) > MaxFlowLine {
		return nil, fmt.Errorf("eve: flow line of %d bytes (at most %d)", len(line), MaxFlowLine)
	}
	var l flowLine
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("eve: flow line: %w", err)
	}
	if l.EventType != TypeFlow && l.EventType != TypeAlert {
		return nil, fmt.Errorf("eve: event_type %q is not a flow record", l.EventType)
	}
	d, st, raw := &l.Sensor, &l.Flow, l.Sensor.Raw
	if raw == nil {
		return nil, ErrNoRaw
	}
	f := &flow.Flow{
		ID: l.FlowID, ClientByPort: d.ClientGuessed, Midstream: d.Midstream,
		PktsToServer: st.PktsToServer, PktsToClient: st.PktsToClient,
		BytesToServer: st.BytesToServer, BytesToClient: st.BytesToClient,
		Prefix: d.Prefix, PrefixGap: d.PrefixGap,
		ClientHandshake: raw.ClientHandshake, ServerHandshake: raw.ServerHandshake,
		ClientHandshakeGap: raw.ClientHandshakeGap, ServerHandshakeGap: raw.ServerHandshakeGap,
		OpenVPN: raw.OpenVPN, ServerAnswered: raw.ServerAnswered,
	}
	if err := l.transport(f); err != nil {
		return nil, err
	}
	f.ClientSYN = f.Transport == flow.TransportTCP && !f.Midstream && !raw.ClientSYNMissed
	var err error
	if f.Client, err = endpoint(l.SrcIP, l.SrcPort); err != nil {
		return nil, fmt.Errorf("eve: src_ip: %w", err)
	}
	if f.Server, err = endpoint(l.DestIP, l.DestPort); err != nil {
		return nil, fmt.Errorf("eve: dest_ip: %w", err)
	}
	if f.Start, err = ParseTime(st.Start); err != nil {
		return nil, fmt.Errorf("eve: flow.start: %w", err)
	}
	if f.End, err = ParseTime(st.End); err != nil {
		return nil, fmt.Errorf("eve: flow.end: %w", err)
	}
	f.Start, f.End = f.Start.UTC(), f.End.UTC()
	if f.EndReason, err = endReason(st.Reason); err != nil {
		return nil, err
	}
	if len(f.Prefix) > flow.PrefixSize {
		return nil, fmt.Errorf("eve: prefix of %d bytes (at most %d)", len(f.Prefix), flow.PrefixSize)
	}
	if len(f.ClientHandshake) > maxHandshakeSize || len(f.ServerHandshake) > maxHandshakeSize {
		return nil, fmt.Errorf("eve: handshake of more than %d bytes", maxHandshakeSize)
	}
	if f.PrefixRuns, err = prefixRuns(raw.PrefixRuns, raw.PrefixRunsMixed, len(f.Prefix)); err != nil {
		return nil, err
	}
	for _, side := range []struct {
		name   string
		in     *int
		holed  *bool
		intact *int
	}{{"client", raw.ClientIntact, &f.ClientHoled, &f.ClientIntact}, {"server", raw.ServerIntact, &f.ServerHoled, &f.ServerIntact}} {
		if side.in == nil {
			continue
		}
		if *side.in < 0 || *side.in > len(f.Prefix) {
			return nil, fmt.Errorf("eve: %s_intact %d is outside the prefix (%d bytes)", side.name, *side.in, len(f.Prefix))
		}
		*side.holed, *side.intact = true, *side.in
	}
	if f.ClientRecords, err = unpackRecords(raw.ClientRecords); err != nil {
		return nil, err
	}
	if f.ServerRecords, err = unpackRecords(raw.ServerRecords); err != nil {
		return nil, err
	}
	return f, nil
}

// transport sets what carried the flow: TCP, or QUIC over UDP with the
// counters its quic object holds (the detector reads the transport and
// whether the Initials opened; the counters are kept for what reads the
// flow next). The version's name and the first error stay in the record.
func (l *flowLine) transport(f *flow.Flow) error {
	switch l.Proto {
	case "", "TCP":
		if l.QUIC != nil {
			return errors.New("eve: a quic object in a TCP flow record")
		}
		return nil
	case "UDP":
	default:
		return fmt.Errorf("eve: proto %q is not one the sensor writes", l.Proto)
	}
	q := l.QUIC
	if q == nil {
		return errors.New("eve: a UDP flow record without its quic object")
	}
	f.Transport = flow.TransportUDP
	f.QUIC = &flow.QUIC{Undecrypted: q.Undecrypted}
	i := &f.QUIC.Info
	i.DCIDLen, i.SCIDLen, i.Retry, i.VersionNegotiation = q.DCIDLen, q.SCIDLen, q.Retry, q.VersionNeg
	i.Client.Initials, i.Server.Initials = q.InitialsToServer, q.InitialsToClient
	i.Client.CryptoBytes, i.Server.CryptoBytes = q.CryptoToServer, q.CryptoToClient
	i.Client.DecryptFailures = q.DecryptFailures
	return nil
}

func endpoint(ip string, port uint16) (flow.Endpoint, error) {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Zone() != "" {
		return flow.Endpoint{}, fmt.Errorf("%q is not an address", ip)
	}
	return flow.Endpoint{Addr: a.As16(), Port: port}, nil
}

func endReason(name string) (flow.EndReason, error) {
	for _, r := range flow.EndReasons() {
		if r.String() == name {
			return r, nil
		}
	}
	return 0, fmt.Errorf("eve: end_reason %q is not one the sensor writes", name)
}

// prefixRuns rebuilds the prefix's turns; they must cover the prefix.
func prefixRuns(runs []int64, mixed bool, prefixLen int) ([]flow.PrefixRun, error) {
	if len(runs) > maxPrefixRuns {
		return nil, fmt.Errorf("eve: %d prefix runs (at most %d)", len(runs), maxPrefixRuns)
	}
	if mixed && len(runs) == 0 {
		return nil, errors.New("eve: prefix_runs_mixed without runs")
	}
	out := make([]flow.PrefixRun, len(runs))
	total := 0
	for i, n := range runs {
		if n == 0 || n > flow.PrefixSize || n < -flow.PrefixSize || n == math.MinInt64 {
			return nil, fmt.Errorf("eve: prefix run of %d bytes", n)
		}
		out[i] = flow.PrefixRun{FromClient: n > 0, Len: int(max(n, -n))}
		total += out[i].Len
	}
	if mixed {
		out[len(out)-1].Mixed = true
	}
	if total != prefixLen {
		return nil, fmt.Errorf("eve: prefix runs add up to %d bytes, the prefix has %d", total, prefixLen)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
