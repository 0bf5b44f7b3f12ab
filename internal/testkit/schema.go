package testkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/tlsentry/tlsentry/sensor/eve"
)

var schema struct {
	once sync.Once
	s    *jsonschema.Schema
	err  error
}

// ValidateEve checks one eve line against the records' JSON Schema
// (eve.Schema), formats asserted.
func ValidateEve(t testing.TB, line []byte) {
	t.Helper()
	if err := CheckEve(line); err != nil {
		t.Errorf("%v\n%s", err, compact(line))
	}
}

// CheckEve says what is wrong with one eve line against the records' JSON
// Schema (nil: nothing).
func CheckEve(line []byte) error {
	schema.once.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(eve.Schema))
		if err != nil {
			schema.err = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if err := c.AddResource("eve.schema.json", doc); err != nil {
			schema.err = err
			return
		}
		schema.s, schema.err = c.Compile("eve.schema.json")
	})
	if schema.err != nil {
		return fmt.Errorf("the eve schema does not compile: %w", schema.err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(line))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if err := schema.s.Validate(v); err != nil {
		return fmt.Errorf("record does not fit the eve schema: %w", err)
	}
	return nil
}

// compact shortens a line for a message: the prefix's base64 is long.
func compact(line []byte) []byte {
	var m map[string]any
	if json.Unmarshal(line, &m) != nil {
		return line
	}
	if d, ok := m["tlsentry"].(map[string]any); ok {
		if p, ok := d["prefix"].(string); ok && len(p) > 40 {
			d["prefix"] = p[:40] + "..."
		}
	}
	out, _ := json.Marshal(m)
	return out
}
