package eve_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tlsentry/tlsentry/flow/tlsparse"
	"github.com/tlsentry/tlsentry/internal/sharedpcaps"
	"github.com/tlsentry/tlsentry/sensor/eve"
)

// The conformance tests hold tlsentry's records to what peers' own test
// suites expect on the same captures: the values are facts taken from
// those suites (testdata/README.md says how), the captures are the shared
// ones, and every difference that remains is named and explained.

// record is one flow record as the sensor writes it, decoded from its
// JSON into plain values.
type record map[string]any

// tlsRecords returns the records of the TLS flows of a shared capture.
func tlsRecords(t *testing.T, capture string) []record {
	t.Helper()
	flows, err := readCapture(t, filepath.Join(sharedpcaps.PcapDir(t), capture))
	if err != nil {
		t.Fatalf("%s: %v", capture, err)
	}
	var out []record
	for _, f := range flows {
		h := tlsparse.FromFlow(f, nil)
		rec := eve.NewFlowRecord(f, h)
		if rec.AppProto != tlsparse.SniffTLS {
			continue
		}
		var r record
		if err := json.Unmarshal(rec.AppendJSON(nil), &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// get returns the value at a dotted path ("tls.ja3.hash",
// "tls.client_alpns[1]").
func (r record) get(path string) (any, bool) {
	var cur any = map[string]any(r)
	for _, part := range strings.Split(path, ".") {
		idx := -1
		if i := strings.IndexByte(part, '['); i >= 0 && strings.HasSuffix(part, "]") {
			n, err := strconv.Atoi(part[i+1 : len(part)-1])
			if err != nil {
				return nil, false
			}
			part, idx = part[:i], n
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
		if idx >= 0 {
			l, ok := cur.([]any)
			if !ok || idx >= len(l) {
				return nil, false
			}
			cur = l[idx]
		}
	}
	return cur, true
}

// str is the record's string at path, "" when absent.
func (r record) str(path string) string {
	v, _ := r.get(path)
	s, _ := v.(string)
	return s
}

// fingerprintPart is one comma-separated field of a fingerprint string
// (JA3 "771,4865-4866,0-23,29,0"; JA4_r "t13d..._0a0a,1301_0000,0005_0403").
func fingerprintPart(s, sep string, i int) (string, bool) {
	parts := strings.Split(s, sep)
	if s == "" || i >= len(parts) {
		return "", false
	}
	return parts[i], true
}

// numbers parses a list of numbers in base (10 with "-", 16 with ","),
// as []any of float64 like decoded JSON.
func numbers(s, sep string, base int) []any {
	out := []any{}
	if s == "" {
		return out
	}
	for _, f := range strings.Split(s, sep) {
		n, err := strconv.ParseUint(f, base, 16)
		if err != nil {
			return nil
		}
		out = append(out, float64(n))
	}
	return out
}

// loadJSON reads a file of testdata into v.
func loadJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// tally counts values compared, equal, and different with a named
// reason; anything else fails the test.
type tally struct {
	compared, equal, explained int
	reasons                    map[string]int
}

func (c *tally) note(equal bool, why string) {
	c.compared++
	switch {
	case equal:
		c.equal++
	case why != "":
		c.explained++
		if c.reasons == nil {
			c.reasons = map[string]int{}
		}
		c.reasons[why]++
	}
}

func (c *tally) String() string {
	keys := make([]string, 0, len(c.reasons))
	for k := range c.reasons {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%d values compared: %d equal, %d different and explained, %d unexplained", c.compared, c.equal, c.explained, c.compared-c.equal-c.explained)
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  %3d  %s", c.reasons[k], k)
	}
	return b.String()
}

func toString(v any) string { return fmt.Sprint(v) }
