package testkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/tlsentry/tlsentry/sensor/eve"
)

// EveLine is the part of an eve line (alert, flow) the tests look at.
type EveLine struct {
	Timestamp   string        `json:"timestamp"`
	EventType   string        `json:"event_type"`
	Host        string        `json:"host"`
	FlowID      uint64        `json:"flow_id"`
	InIface     string        `json:"in_iface"`
	SrcIP       string        `json:"src_ip"`
	SrcPort     uint16        `json:"src_port"`
	DestPort    uint16        `json:"dest_port"`
	Proto       string        `json:"proto"`
	AppProto    string        `json:"app_proto"`
	CommunityID string        `json:"community_id"`
	Alert       *eve.Alert    `json:"alert"`
	Flow        eve.FlowStats `json:"flow"`
	TLS         *struct {
		Version string `json:"version"`
		SNI     string `json:"sni"`
		JA3     *struct {
			Hash string `json:"hash"`
		} `json:"ja3"`
		JA4 string `json:"ja4"`
	} `json:"tls"`
	QUIC *struct {
		Version          string `json:"version"`
		InitialsToServer int    `json:"initials_toserver"`
		InitialsToClient int    `json:"initials_toclient"`
		Undecrypted      bool   `json:"undecrypted"`
	} `json:"quic"`
	Detail eve.Detail `json:"tlsentry"`
}

// TLSVersion is the tls object's version ("" without one).
func (l EveLine) TLSVersion() string {
	if l.TLS == nil {
		return ""
	}
	return l.TLS.Version
}

// Verdict is the line's verdict (nil for an unscored flow).
func (l EveLine) Verdict() *eve.Verdict { return l.Detail.Verdict }

// Src is the line's client address.
func (l EveLine) Src(t testing.TB) netip.Addr {
	t.Helper()
	a, err := netip.ParseAddr(l.SrcIP)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Endpoint is the line's client address and port, as "ip:port".
func (l EveLine) Endpoint() string { return fmt.Sprintf("%s:%d", l.SrcIP, l.SrcPort) }

// ReadEve parses every line of a JSON lines file, each checked against
// the eve schema (ValidateEve); a missing file has none. A last line
// without its newline is one the daemon is writing (a log buffer of
// many lines goes out in one write, which a reader may see half done):
// it is left for the next read.
func ReadEve(t testing.TB, path string) []EveLine {
	t.Helper()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	data = data[:bytes.LastIndexByte(data, '\n')+1]
	var out []EveLine
	for line := range bytes.Lines(data) {
		line = bytes.TrimSuffix(line, []byte{'\n'})
		ValidateEve(t, line)
		var l EveLine
		if err := json.Unmarshal(line, &l); err != nil {
			t.Fatalf("%s: %v: %s", path, err, line)
		}
		out = append(out, l)
	}
	return out
}

// WaitFor polls cond until it holds, failing the test after a minute.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
