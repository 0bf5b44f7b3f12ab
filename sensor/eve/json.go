package eve

import (
	"encoding/base64"
	"math"
	"slices"
	"strconv"
	"sync/atomic"
	"unicode/utf8"
)

// The flow records are written by hand rather than through encoding/json:
// a sensor writes one per flow, and reflection cost five times as much as
// the rest of the record's work. evejson_test.go checks that both give the
// same JSON values.

// AppendJSON appends the record as one JSON object (no newline).
func (r *FlowRecord) AppendJSON(b []byte) []byte {
	b = r.appendHead(b, r.Timestamp, r.EventType)
	return r.appendMembers(b, true, nil)
}

// appendHead appends the record's members up to event_type, with the
// given timestamp and event type.
func (r *FlowRecord) appendHead(b []byte, timestamp, eventType string) []byte {
	b = append(b, `{"timestamp":`...)
	b = appendString(b, timestamp)
	b = append(b, `,"flow_id":`...)
	b = strconv.AppendUint(b, r.FlowID, 10)
	if r.InIface != "" {
		b = appendStringField(b, "in_iface", r.InIface)
	}
	return appendStringField(b, "event_type", eventType)
}

// AppendBody appends the record as one JSON object without its timestamp
// and event_type members, for a log that writes those itself (package
// evelog): flow_id comes first. A nil Prefix is left out rather than
// written as null, so that a log can leave prefixes out by clearing it.
func (r *FlowRecord) AppendBody(b []byte) []byte {
	b = r.appendBodyHead(b)
	return r.appendMembers(b, false, nil)
}

// appendBodyHead appends a body's members before src_ip.
func (r *FlowRecord) appendBodyHead(b []byte) []byte {
	b = append(b, `{"flow_id":`...)
	b = strconv.AppendUint(b, r.FlowID, 10)
	if r.InIface != "" {
		b = appendStringField(b, "in_iface", r.InIface)
	}
	return b
}

// AppendTLSJSON appends the record's tls record (event_type "tls", as
// Suricata's tls log writes one per TLS session) as one JSON object: the
// flow's id, interface, addresses, transport and community_id, and its tls
// object, at the flow's first packet's time. The record must have a tls
// object (the flow spoke TLS).
func (r *FlowRecord) AppendTLSJSON(b []byte) []byte {
	b = append(b, `{"timestamp":`...)
	b = appendString(b, r.Flow.Start)
	b = append(b, `,"flow_id":`...)
	b = strconv.AppendUint(b, r.FlowID, 10)
	if r.InIface != "" {
		b = appendStringField(b, "in_iface", r.InIface)
	}
	b = appendStringField(b, "event_type", TypeTLS)
	return r.appendTLSMembers(b)
}

// AppendTLSBody is AppendTLSJSON without the timestamp and event_type
// members, for a log that writes those itself (package evelog).
func (r *FlowRecord) AppendTLSBody(b []byte) []byte {
	b = append(b, `{"flow_id":`...)
	b = strconv.AppendUint(b, r.FlowID, 10)
	if r.InIface != "" {
		b = appendStringField(b, "in_iface", r.InIface)
	}
	return r.appendTLSMembers(b)
}

func (r *FlowRecord) appendTLSMembers(b []byte) []byte {
	b = appendStringField(b, "src_ip", r.SrcIP)
	b = appendUintField(b, "src_port", uint64(r.SrcPort))
	b = appendStringField(b, "dest_ip", r.DestIP)
	b = appendUintField(b, "dest_port", uint64(r.DestPort))
	b = appendStringField(b, "proto", r.Proto)
	b = appendStringField(b, "community_id", r.CommunityID)
	b = append(b, `,"tls":`...)
	if r.TLS != nil {
		b = r.TLS.AppendJSON(b)
	} else {
		b = append(b, "{}"...)
	}
	return append(b, '}')
}

// appendMembers appends the members after event_type and the closing
// brace; nullPrefix writes a nil Prefix as null instead of leaving it out.
// With cuts, it notes where an alert record of the flow differs (Spliced).
func (r *FlowRecord) appendMembers(b []byte, nullPrefix bool, cuts *alertCuts) []byte {
	b = appendStringField(b, "src_ip", r.SrcIP)
	b = appendUintField(b, "src_port", uint64(r.SrcPort))
	b = appendStringField(b, "dest_ip", r.DestIP)
	b = appendUintField(b, "dest_port", uint64(r.DestPort))
	b = appendStringField(b, "proto", r.Proto)
	b = appendStringField(b, "community_id", r.CommunityID)
	if r.AppProto != "" {
		b = appendStringField(b, "app_proto", r.AppProto)
	}
	if r.Alert != nil {
		b = append(b, `,"alert":`...)
		b = r.Alert.appendJSON(b)
	}
	if cuts != nil {
		cuts.alert = len(b)
	}
	b = append(b, `,"flow":`...)
	b = r.Flow.appendJSON(b)
	if r.TLS != nil {
		b = append(b, `,"tls":`...)
		b = r.TLS.AppendJSON(b)
	}
	if q := r.QUIC; q != nil {
		b = q.appendJSON(b)
	}
	b = append(b, `,"tlsentry":`...)
	b = r.Sensor.appendJSON(b, nullPrefix, cuts)
	return append(b, '}')
}

func (f *FlowStats) appendJSON(b []byte) []byte {
	b = append(b, `{"pkts_toserver":`...)
	b = strconv.AppendUint(b, f.PktsToServer, 10)
	b = appendUintField(b, "pkts_toclient", f.PktsToClient)
	b = appendUintField(b, "bytes_toserver", f.BytesToServer)
	b = appendUintField(b, "bytes_toclient", f.BytesToClient)
	b = appendStringField(b, "start", f.Start)
	b = appendStringField(b, "end", f.End)
	b = append(b, `,"age":`...)
	b = strconv.AppendInt(b, f.Age, 10)
	b = appendStringField(b, "reason", f.Reason)
	b = append(b, `,"alerted":`...)
	b = strconv.AppendBool(b, f.Alerted)
	return append(b, '}')
}

func (a *Alert) appendJSON(b []byte) []byte {
	b = append(b, `{"action":`...)
	b = appendString(b, a.Action)
	b = append(b, `,"gid":`...)
	b = strconv.AppendInt(b, int64(a.GID), 10)
	b = append(b, `,"signature_id":`...)
	b = strconv.AppendInt(b, int64(a.SignatureID), 10)
	b = append(b, `,"rev":`...)
	b = strconv.AppendInt(b, int64(a.Rev), 10)
	b = appendStringField(b, "signature", a.Signature)
	b = appendStringField(b, "category", a.Category)
	b = append(b, `,"severity":`...)
	b = strconv.AppendInt(b, int64(a.Severity), 10)
	if m := a.Metadata; m != nil {
		b = append(b, `,"metadata":{`...)
		n := len(b)
		if len(m.Layer) > 0 {
			b = appendKey(b, n, "layer")
			b = appendStrings(b, m.Layer)
		}
		if len(m.Check) > 0 {
			b = appendKey(b, n, "check")
			b = appendStrings(b, m.Check)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func (d *Detail) appendJSON(b []byte, nullPrefix bool, cuts *alertCuts) []byte {
	b = append(b, '{')
	n := len(b)
	if d.Midstream {
		b = appendKey(b, n, "midstream")
		b = append(b, "true"...)
	}
	if d.PickupAfterEviction {
		b = appendKey(b, n, "pickup_after_eviction")
		b = append(b, "true"...)
	}
	if d.ClientGuessed {
		b = appendKey(b, n, "client_guessed")
		b = append(b, "true"...)
	}
	b = appendKey(b, n, "prefix_len")
	b = strconv.AppendInt(b, int64(d.PrefixLen), 10)
	if d.PrefixGap {
		b = append(b, `,"prefix_gap":true`...)
	}
	b = appendSides(b, "overlap_different_data", d.OverlapDifferentData, func(b []byte, c Conflict) []byte {
		b = appendString(b, c.Side)
		b = appendIntField(b, "offset", int64(c.Offset))
		b = append(b, `,"kept":"`...)
		b = base64.StdEncoding.AppendEncode(b, c.Kept)
		b = append(b, `","other":"`...)
		b = base64.StdEncoding.AppendEncode(b, c.Other)
		b = append(b, '"')
		return appendIntField(b, "segments", int64(c.Segments))
	})
	b = appendStrays(b, "data_without_ack", d.DataWithoutACK)
	b = appendStrays(b, "data_before_start", d.DataBeforeStart)
	b = appendStrays(b, "data_unexpected_signature", d.DataUnexpectedSignature)
	b = appendSides(b, "ip_tiny_fragments", d.IPTinyFragments, func(b []byte, x TinyFragments) []byte {
		b = appendString(b, x.Side)
		b = appendIntField(b, "segments", int64(x.Segments))
		return appendIntField(b, "smallest", int64(x.Smallest))
	})
	switch {
	case d.Prefix != nil:
		b = append(b, `,"prefix":"`...)
		b = base64.StdEncoding.AppendEncode(b, d.Prefix)
		b = append(b, '"')
	case nullPrefix:
		b = append(b, `,"prefix":null`...)
	}
	if d.Unscored != "" {
		b = appendStringField(b, "unscored", d.Unscored)
		b = appendStringField(b, "shed_reason", d.ShedReason)
	}
	if v := d.Verdict; v != nil {
		b = appendStringField(b, "model", v.Model)
		b = append(b, `,"score":`...)
		b = strconv.AppendFloat(b, v.Score, 'g', -1, 64)
		b = append(b, `,"threshold":`...)
		b = appendThreshold(b, v.Threshold)
		b = append(b, `,"alert":`...)
		b = strconv.AppendBool(b, v.Alert)
		if len(v.Reasons) > 0 {
			b = append(b, `,"reasons":`...)
			b = appendStrings(b, v.Reasons)
		}
		if cuts != nil {
			cuts.finding = len(b)
		}
		if v.Finding != "" {
			b = appendStringField(b, "finding", v.Finding)
		}
		if v.Suppressed != "" {
			b = appendStringField(b, "suppressed", v.Suppressed)
		}
		if cuts != nil {
			cuts.held = len(b)
		}
		if v.AlertsSuppressed != 0 {
			b = appendUintField(b, "alerts_suppressed", v.AlertsSuppressed)
		}
		if v.Pcap != "" {
			b = appendStringField(b, "pcap", v.Pcap)
		}
	}
	if d.Beacon != nil {
		b = appendKey(b, n, "beacon")
		b = d.Beacon.appendJSON(b)
	}
	return append(b, '}')
}

// appendStrings appends a JSON array of strings.
func appendStrings(b []byte, vs []string) []byte {
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, v)
	}
	return append(b, ']')
}

// AppendJSON appends the tls object, leaving out empty fields as the
// struct tags' omitempty does.
func (t *TLSRecord) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	n := len(b)
	opt := func(name, v string) {
		if v != "" {
			b = appendKey(b, n, name)
			b = appendString(b, v)
		}
	}
	// ours is for values the sensor composes from digits, hex and fixed
	// names (fingerprints, versions, cipher names): nothing to escape.
	ours := func(name, v string) {
		if v != "" {
			b = appendKey(b, n, name)
			b = append(b, '"')
			b = append(b, v...)
			b = append(b, '"')
		}
	}
	list := func(name string, vs []string) {
		if len(vs) > 0 {
			b = appendKey(b, n, name)
			b = append(b, '[')
			for i, v := range vs {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendString(b, v)
			}
			b = append(b, ']')
		}
	}
	hashed := func(name string, h *Hashed) {
		if h != nil {
			b = appendKey(b, n, name)
			b = append(b, `{"hash":"`...)
			b = append(b, h.Hash...)
			b = append(b, `","string":"`...)
			b = append(b, h.String...)
			b = append(b, `"}`...)
		}
	}
	flag := func(name string, v bool) {
		if v {
			b = appendKey(b, n, name)
			b = append(b, "true"...)
		}
	}
	ours("version", t.Version)
	opt("sni", t.SNI)
	list("client_alpns", t.ClientALPNs)
	list("server_alpns", t.ServerALPNs)
	ours("cipher_suite", t.CipherSuite)
	hashed("ja3", t.JA3)
	hashed("ja3n", t.JA3N)
	hashed("ja3s", t.JA3S)
	ours("ja4", t.JA4)
	ours("ja4_r", t.JA4R)
	opt("subject", t.Subject)
	opt("issuerdn", t.IssuerDN)
	ours("serial", t.Serial)
	ours("notbefore", t.NotBefore)
	ours("notafter", t.NotAfter)
	ours("fingerprint", t.Fingerprint)
	ours("fingerprint_sha256", t.SHA256)
	list("sans", t.SANs)
	ours("key", t.KeyType)
	if t.ChainLen != 0 {
		b = appendKey(b, n, "chain_len")
		b = strconv.AppendInt(b, int64(t.ChainLen), 10)
	}
	flag("chain_cut", t.ChainCut)
	if t.SelfSigned != nil {
		b = appendKey(b, n, "self_signed")
		b = strconv.AppendBool(b, *t.SelfSigned)
	}
	flag("hello_retry_request", t.HRR)
	flag("truncated", t.Truncated)
	opt("parse_error", t.ParseError)
	ours("alert", t.Alert)
	flag("grease", t.GREASE)
	flag("session_resumed", t.Resumed)
	return append(b, '}')
}

// appendJSON appends the quic member, leaving out what omitempty would.
func (q *QUICRecord) appendJSON(b []byte) []byte {
	b = append(b, `,"quic":{`...)
	n := len(b)
	if q.Version != "" {
		b = appendKey(b, n, "version")
		b = appendString(b, q.Version)
	}
	if q.SNI != "" {
		b = appendKey(b, n, "sni")
		b = appendString(b, q.SNI)
	}
	if q.UA != "" {
		b = appendKey(b, n, "ua")
		b = appendString(b, q.UA)
	}
	if len(q.CYU) > 0 {
		b = appendKey(b, n, "cyu")
		b = append(b, '[')
		for i, c := range q.CYU {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"hash":`...)
			b = appendString(b, c.Hash)
			b = append(b, `,"string":`...)
			b = appendString(b, c.String)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	num := func(name string, v int, always bool) {
		if always || v != 0 {
			b = appendKey(b, n, name)
			b = strconv.AppendInt(b, int64(v), 10)
		}
	}
	num("dcid_len", q.DCIDLen, true)
	num("scid_len", q.SCIDLen, true)
	num("initials_toserver", q.InitialsToServer, true)
	num("initials_toclient", q.InitialsToClient, true)
	num("crypto_bytes_toserver", q.CryptoToServer, true)
	num("crypto_bytes_toclient", q.CryptoToClient, true)
	num("decrypt_failures", q.DecryptFailures, true)
	num("retry", q.Retry, false)
	num("version_negotiation", q.VersionNegotiation, false)
	if q.Undecrypted {
		b = appendKey(b, n, "undecrypted")
		b = append(b, "true"...)
	}
	if q.Error != "" {
		b = appendKey(b, n, "error")
		b = appendString(b, q.Error)
	}
	return append(b, '}')
}

// appendKey writes "name": preceded by a comma unless it is the first
// member of the object that starts at offset start.
func appendKey(b []byte, start int, name string) []byte {
	if len(b) > start {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

func appendStringField(b []byte, name, v string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendString(b, v)
}

func appendUintField(b []byte, name string, v uint64) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return strconv.AppendUint(b, v, 10)
}

const hexDigits = "0123456789abcdef"

// jsonSpecial8 reports whether any of the 8 bytes of s is below 0x20, a
// quote, a backslash or not ASCII (the bytes appendString looks at one by
// one). Each test is the classic "has a byte less than n" word trick,
// exact as a yes or no for n <= 128.
func jsonSpecial8(s string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	x := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
	quote := x ^ ones*'"'
	backslash := x ^ ones*'\\'
	control := (x - ones*0x20) &^ x
	isQuote := (quote - ones) &^ quote
	isBackslash := (backslash - ones) &^ backslash
	return (control|isQuote|isBackslash|x)&highs != 0
}

// appendString writes s as a JSON string. Values come from hostile
// traffic (SNI, certificate names): control characters are escaped and
// invalid UTF-8 becomes U+FFFD, as encoding/json does, so every line is
// valid JSON.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Names and SANs are long and nearly always plain ASCII: skip
		// eight bytes at a time while none needs a look.
		for i+8 <= len(s) && !jsonSpecial8(s[i:i+8]) {
			i += 8
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// floatText is a float64 and its JSON text.
type floatText struct {
	bits uint64
	text []byte
}

// lastThreshold is the threshold appendThreshold formatted last: every
// scored flow's record carries the model's threshold, nearly always the
// same number.
var lastThreshold atomic.Pointer[floatText]

// appendThreshold appends x as strconv.AppendFloat(b, x, 'g', -1, 64)
// does, from lastThreshold when it holds x.
func appendThreshold(b []byte, x float64) []byte {
	bits := math.Float64bits(x)
	if t := lastThreshold.Load(); t != nil && t.bits == bits {
		return append(b, t.text...)
	}
	n := len(b)
	b = strconv.AppendFloat(b, x, 'g', -1, 64)
	lastThreshold.Store(&floatText{bits: bits, text: slices.Clone(b[n:])})
	return b
}

// appendStrays appends a Detail's stray data of one kind as the member
// name, when there is any.
func appendStrays(b []byte, name string, xs []Stray) []byte {
	return appendSides(b, name, xs, func(b []byte, x Stray) []byte {
		b = appendString(b, x.Side)
		b = appendIntField(b, "offset", int64(x.Offset))
		b = append(b, `,"data":"`...)
		b = base64.StdEncoding.AppendEncode(b, x.Data)
		b = append(b, '"')
		b = appendIntField(b, "segments", int64(x.Segments))
		return appendIntField(b, "bytes", int64(x.Bytes))
	})
}

// appendSides appends a Detail's per-side list as the member name, when
// it has any entry: each an object whose "side" key opens it and whose
// value and further fields rest appends.
func appendSides[T any](b []byte, name string, xs []T, rest func([]byte, T) []byte) []byte {
	if len(xs) == 0 {
		return b
	}
	b = append(b, `,"`...)
	b = append(b, name...)
	b = append(b, `":[`...)
	for i, x := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = appendKey(b, len(b), "side")
		b = rest(b, x)
		b = append(b, '}')
	}
	return append(b, ']')
}
