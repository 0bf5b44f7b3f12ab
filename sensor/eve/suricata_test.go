package eve_test

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
)

// suricataTest is one suricata-verify test: the event_type tls filters
// of its test.yaml (testdata/suricata-verify.json).
type suricataTest struct {
	Test    string
	Capture string
	Filters []struct {
		Count int
		Match map[string]any
	}
}

// suricataValue is what a record holds for one of Suricata's keys. Most
// keys are the record's own; Suricata 8's client_handshake and
// server_handshake objects hold lists the record carries inside its
// ja3, ja3s and ja4_r strings, which are read from there.
func suricataValue(r record, key string) (any, bool) {
	switch key {
	case "tls.subjectaltname":
		return r.get("tls.sans")
	case "tls.client_handshake.version":
		return versionField(r.str("tls.ja3.string"))
	case "tls.client_handshake.ciphers":
		return listField(r.str("tls.ja3.string"), 1)
	case "tls.client_handshake.exts":
		return listField(r.str("tls.ja3.string"), 2)
	case "tls.client_handshake.sig_algs":
		s, ok := fingerprintPart(r.str("tls.ja4_r"), "_", 3)
		if !ok {
			return nil, false
		}
		return numbers(s, ",", 16), true
	case "tls.server_handshake.version":
		return versionField(r.str("tls.ja3s.string"))
	case "tls.server_handshake.cipher":
		s, ok := fingerprintPart(r.str("tls.ja3s.string"), ",", 1)
		n, err := strconv.Atoi(s)
		return float64(n), ok && err == nil
	case "tls.server_handshake.exts":
		return listField(r.str("tls.ja3s.string"), 2)
	}
	return r.get(key)
}

func versionField(ja3 string) (any, bool) {
	s, ok := fingerprintPart(ja3, ",", 0)
	n, err := strconv.ParseUint(s, 10, 16)
	if !ok || err != nil {
		return nil, false
	}
	return tlsparse.VersionName(uint16(n)), true
}

func listField(ja3 string, i int) (any, bool) {
	s, ok := fingerprintPart(ja3, ",", i)
	if !ok {
		return nil, false
	}
	return numbers(s, "-", 10), true
}

// suricataMatches applies one condition of a filter to a record.
func suricataMatches(r record, key string, want any) bool {
	switch key {
	case "has-key":
		_, ok := suricataValue(r, want.(string))
		return ok
	case "not-has-key":
		_, ok := suricataValue(r, want.(string))
		return !ok
	}
	got, ok := suricataValue(r, key)
	if f, isNum := want.(float64); isNum {
		if s, isStr := got.(string); isStr { // src_port and the like are numbers in both
			return s == strconv.FormatFloat(f, 'f', -1, 64)
		}
	}
	return ok && reflect.DeepEqual(got, want)
}

// suricataIgnored are keys of the filters that are no values of the tls
// record: where Suricata's packet counter stood when it logged.
var suricataIgnored = map[string]bool{"pcap_cnt": true, "pkt_src": true}

// suricataKnown names every difference from suricata-verify's
// expectations, by test and key ("count": the number of matching records
// differs while each value is found).
var suricataKnown = map[string]string{
	"ldap-starttls tls.from_proto":           "not emitted: the sensor does not follow the protocol a STARTTLS upgrade comes from (Suricata: ldap)",
	"pgsql/pgsql-upgrade-tls tls.from_proto": "not emitted: the sensor does not follow the protocol a STARTTLS upgrade comes from (Suricata: pgsql)",
}

// TestSuricataVerify: for the suricata-verify captures in the shared
// folder, the tls values their tests expect in eve output are compared
// with the sensor's records, filter by filter as suricata-verify applies
// them (that many records hold all the values).
func TestSuricataVerify(t *testing.T) {
	var data struct {
		Source string
		Tests  []suricataTest
	}
	loadJSON(t, "suricata-verify.json", &data)
	var c tally
	used := map[string]bool{}
	for _, st := range data.Tests {
		recs := tlsRecords(t, st.Capture)
		for _, f := range st.Filters {
			matchAll := func(r record) bool {
				for k, v := range f.Match {
					if !suricataIgnored[k] && !suricataMatches(r, k, v) {
						return false
					}
				}
				return true
			}
			got := countRecords(recs, matchAll)
			short := false
			for k, v := range f.Match {
				if suricataIgnored[k] {
					continue
				}
				alone := countRecords(recs, func(r record) bool { return suricataMatches(r, k, v) })
				if got == f.Count || alone >= f.Count && f.Count > 0 {
					c.note(true, "")
					continue
				}
				short = true
				id := st.Test + " " + k
				why := suricataKnown[id]
				used[id] = true
				if why == "" {
					t.Errorf("%s: %s = %v: %d records hold it, the test expects %d%s", st.Test, k, v, alone, f.Count, haveValues(recs, k))
				}
				c.note(false, why)
			}
			if got != f.Count && !short {
				id := st.Test + " count"
				used[id] = true
				why := suricataKnown[id]
				if why == "" {
					t.Errorf("%s: %d records match %v, the test expects %d", st.Test, got, f.Match, f.Count)
				}
				c.note(false, why)
			}
		}
	}
	for id := range suricataKnown {
		if !used[id] {
			t.Errorf("known difference %q no longer differs: take it out of suricataKnown", id)
		}
	}
	t.Logf("%s\n%s", data.Source, &c)
}

func countRecords(recs []record, match func(record) bool) int {
	n := 0
	for _, r := range recs {
		if match(r) {
			n++
		}
	}
	return n
}

// haveValues lists what the records hold for key, for a failure message.
func haveValues(recs []record, key string) string {
	var vs []string
	for _, r := range recs {
		v, ok := suricataValue(r, key)
		if !ok {
			vs = append(vs, "(none)")
			continue
		}
		vs = append(vs, strings.TrimSpace(strings.ReplaceAll(toString(v), "\n", " ")))
	}
	return "; the records have: " + strings.Join(vs, " | ")
}
