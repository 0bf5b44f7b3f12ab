package eve_test

import (
	"strconv"
	"strings"
	"testing"
)

// zeekTrace is one of Zeek's TLS traces with the ssl.log rows its test
// baselines hold (testdata/zeek-ssl.json).
type zeekTrace struct {
	Trace    string
	Baseline string
	Rows     []map[string]string
}

// zeekVersions maps ssl.log's version names to wire values.
var zeekVersions = map[string]uint16{"SSLv2": 0x0002, "SSLv3": 0x0300, "TLSv10": 0x0301, "TLSv11": 0x0302, "TLSv12": 0x0303, "TLSv13": 0x0304}

// zeekVersion is the wire value of an ssl.log version: a known name,
// TLSv13-draftNN, or unknown-N.
func zeekVersion(s string) (uint16, bool) {
	if v, ok := zeekVersions[s]; ok {
		return v, true
	}
	if n, ok := strings.CutPrefix(s, "TLSv13-draft"); ok {
		d, err := strconv.Atoi(n)
		return 0x7f00 | uint16(d), err == nil
	}
	if n, ok := strings.CutPrefix(s, "unknown-"); ok {
		d, err := strconv.ParseUint(n, 10, 16)
		return uint16(d), err == nil
	}
	return 0, false
}

// recordVersion is the wire value of the record's version label, when
// the label tells it (Suricata's "TLS 1.3 draft-<16" does not).
func recordVersion(label string) (uint16, bool) {
	switch label {
	case "SSLv2":
		return 0x0002, true
	case "SSLv3":
		return 0x0300, true
	case "TLSv1":
		return 0x0301, true
	case "TLS 1.1":
		return 0x0302, true
	case "TLS 1.2":
		return 0x0303, true
	case "TLS 1.3":
		return 0x0304, true
	}
	if n, ok := strings.CutPrefix(label, "TLS 1.3 draft-"); ok {
		d, err := strconv.Atoi(n)
		return 0x7f00 | uint16(d), err == nil
	}
	if n, ok := strings.CutPrefix(label, "0x"); ok {
		d, err := strconv.ParseUint(n, 16, 16)
		return uint16(d), err == nil
	}
	return 0, false
}

// zeekServerAlert is the server's alert an ssl.log row shows: ssl_history
// writes the server's messages in lower case ('l' an alert) and
// last_alert names the last alert of either side. known is false when
// the server sent one but the client's came last (its name is lost).
func zeekServerAlert(row map[string]string) (name string, known bool) {
	h := row["ssl_history"]
	last := strings.LastIndexAny(h, "lL")
	switch {
	case !strings.Contains(h, "l"):
		return "", true
	case h[last] == 'l':
		return row["last_alert"], true
	}
	return "", false
}

// Reasons for the differences from Zeek.
const (
	zeekNoServerVersion = "version: Zeek takes it from the ServerHello only; without one the record gives the client's highest offer (Suricata's rule)"
	zeekDraftLabel      = "version: the record spells 0x7f0e as Suricata does, \"TLS 1.3 draft-<16\", which does not carry the draft number Zeek names (TLSv13-draft14)"
	zeekLateAlert       = "server alert: sent after the client's Certificate, past the server's flight the sensor keeps (it ends at ServerHelloDone)"
	zeekEchoResumed     = "resumed: Zeek takes the session id the server echoes for resumption unless the version is TLS 1.3 or 0x7fNN; 0x7e01 (Chrome's TLS 1.3 experiment) echoes it for middlebox compatibility, and its ServerHello has no pre_shared_key"
)

// zeekKnown names every difference from Zeek's ssl.log, by trace, client
// port and field.
var zeekKnown = map[string]string{
	"zeek/tls-1.2-handshake-failure.pcap 53525 version":                     zeekNoServerVersion,
	"zeek/tls13draft16-chrome55.0.2879.0-canary-aborted.pcap 53226 version": zeekNoServerVersion,
	"zeek/tls13draft16-chrome55.0.2879.0-canary-aborted.pcap 53227 version": zeekNoServerVersion,
	"zeek/tls13draft16-ff52.a01-aborted.pcap 54980 version":                 zeekNoServerVersion,
	"zeek/tls13draft16-ff52.a01-aborted.pcap 54982 version":                 zeekNoServerVersion,
	"zeek/tls13draft16-chrome55.0.2879.0-canary.pcap 53994 version":         zeekDraftLabel,
	"zeek/tls13draft16-chrome55.0.2879.0-canary.pcap 53996 version":         zeekDraftLabel,
	"zeek/certificate-request-failed.pcap 52464 server alert":               zeekLateAlert,
	"zeek/chrome-63.0.3211.0-canary-tls_experiment.pcap 62873 resumed":      zeekEchoResumed,
}

// TestZeekBaselines: for Zeek's traces in the shared folder, SNI,
// version, cipher, resumption and the server's alert of every connection
// Zeek's own test baselines log in ssl.log are compared with the
// sensor's record of that connection.
func TestZeekBaselines(t *testing.T) {
	var data struct {
		Source string
		Traces []zeekTrace
	}
	loadJSON(t, "zeek-ssl.json", &data)
	var c tally
	used := map[string]bool{}
	for _, tr := range data.Traces {
		recs := tlsRecords(t, tr.Trace)
		for _, row := range tr.Rows {
			id := tr.Trace + " " + row["id.orig_p"]
			check := func(field string, equal bool, ours, theirs any) {
				why := ""
				if !equal {
					used[id+" "+field] = true
					if why = zeekKnown[id+" "+field]; why == "" {
						t.Errorf("%s %s: sensor %v, Zeek %v", id, field, ours, theirs)
					}
				}
				c.note(equal, why)
			}
			var r record
			for _, rec := range recs {
				if rec.str("src_ip") == row["id.orig_h"] && strconv.Itoa(int(num(rec, "src_port"))) == row["id.orig_p"] &&
					rec.str("dest_ip") == row["id.resp_h"] && strconv.Itoa(int(num(rec, "dest_port"))) == row["id.resp_p"] {
					r = rec
				}
			}
			if r == nil {
				check("record", false, "no TLS record", "a row")
				continue
			}
			sni := row["server_name"]
			if sni == "-" {
				sni = ""
			}
			check("sni", r.str("tls.sni") == sni, r.str("tls.sni"), row["server_name"])
			zv, zok := zeekVersion(row["version"])
			ov, ook := recordVersion(r.str("tls.version"))
			check("version", zok == ook && zv == ov, r.str("tls.version"), row["version"])
			cipher := row["cipher"]
			if cipher == "-" {
				cipher = ""
			}
			check("cipher", r.str("tls.cipher_suite") == cipher, r.str("tls.cipher_suite"), row["cipher"])
			resumed, _ := r.get("tls.session_resumed")
			check("resumed", (resumed == true) == (row["resumed"] == "T"), resumed, row["resumed"])
			alert := r.str("tls.alert")
			if _, desc, ok := strings.Cut(alert, ": "); ok {
				alert = desc
			}
			if name, known := zeekServerAlert(row); known {
				check("server alert", alert == name, alert, name)
			} else {
				check("server alert", alert != "", alert, "a server alert (the client's came last)")
			}
		}
	}
	for id := range zeekKnown {
		if !used[id] {
			t.Errorf("known difference %q no longer differs: take it out of zeekKnown", id)
		}
	}
	t.Logf("%s\n%s", data.Source, &c)
}

func num(r record, path string) float64 {
	v, _ := r.get(path)
	f, _ := v.(float64)
	return f
}
