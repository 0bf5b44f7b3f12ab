package evelog

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// Whatever the body, an event is at most one line; a body that is a JSON
// object gives a line that is a JSON object with the header and the
// body's members.
func FuzzWrite(f *testing.F) {
	f.Add([]byte(`{"flow_id":1,"tls":{"sni":"x"}}`))
	f.Add([]byte("{\n\"a\":\"\\n\"\r\n}"))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"a":[1,{"b":null}]}  `))
	f.Add([]byte(`{{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var out bytes.Buffer
		l, err := New(Config{Console: &out, Sensor: "fuzz"})
		if err != nil {
			t.Fatal(err)
		}
		err = l.Write(Event{Time: time.Unix(1700000000, 5000), Type: TypeAlert, Body: b})
		line := out.Bytes()
		if err != nil {
			if len(line) != 0 {
				t.Fatalf("failed write left %q", line)
			}
			return
		}
		if bytes.Count(line, []byte{'\n'}) != 1 || line[len(line)-1] != '\n' || bytes.IndexByte(line, '\r') >= 0 {
			t.Fatalf("not one line: %q", line)
		}
		var body map[string]json.RawMessage
		if json.Unmarshal(b, &body) != nil {
			return // not an object: only the braces were checked
		}
		var got map[string]json.RawMessage
		if err := json.Unmarshal(line, &got); err != nil {
			t.Fatalf("body %q gave line %q: %v", b, line, err)
		}
		for _, k := range []string{"timestamp", "event_type", "host"} {
			if _, ok := got[k]; !ok {
				t.Fatalf("line %q has no %s", line, k)
			}
		}
		for k := range body {
			if _, ok := got[k]; !ok {
				t.Fatalf("line %q lost member %q", line, k)
			}
		}
	})
}
