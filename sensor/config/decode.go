package config

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// decoder fills a Config from YAML nodes by walking the nodes against the
// struct, so that every unknown key, repeated key and bad value is
// reported with its key path and line, and where each key was is
// remembered for the checks that come after.
type decoder struct {
	src  *source
	errs errorList
}

var durationType = reflect.TypeFor[time.Duration]()

// field is one yaml-tagged struct field.
type field struct {
	key   string
	index int
	hot   bool
}

// fieldsOf lists the yaml-tagged fields of a struct type in order.
func fieldsOf(t reflect.Type) []field {
	var fs []field
	for i := range t.NumField() {
		sf := t.Field(i)
		key, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if key == "" || key == "-" || !sf.IsExported() {
			continue
		}
		fs = append(fs, field{key: key, index: i, hot: sf.Tag.Get("reload") == "hot"})
	}
	return fs
}

// join makes a key path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// decodeStruct fills the struct v from the mapping n.
func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	n = resolveAlias(n)
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // "capture:" with nothing under it: all defaults
	}
	if n.Kind != yaml.MappingNode {
		if path == "" {
			d.fail(n.Line, "", "want a mapping of sections (sensor, capture, ...), got %s", kindName(n))
		} else {
			d.fail(n.Line, path, "want a mapping of keys, got %s", kindName(n))
		}
		return
	}
	fields := fieldsOf(v.Type())
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := resolveAlias(n.Content[i]), n.Content[i+1]
		key := k.Value
		p := join(path, key)
		if k.Kind != yaml.ScalarNode {
			d.fail(k.Line, path, "a key must be a plain name, got %s", kindName(k))
			continue
		}
		if first, ok := seen[key]; ok {
			d.errs.addAt(k.Line, p, "key repeated (first set at line %d)", first)
			continue
		}
		seen[key] = k.Line
		f, ok := findField(fields, key)
		if !ok {
			d.fail(k.Line, p, "unknown key%s", suggest(key, fields))
			continue
		}
		d.src.lines[p] = resolveAlias(val).Line
		d.decodeValue(val, v.Field(f.index), p)
	}
}

// fail records a value that could not be decoded. The key keeps its
// default, and later checks say nothing more about it.
func (d *decoder) fail(line int, path, format string, args ...any) {
	d.src.failed = append(d.src.failed, path)
	d.errs.addAt(line, path, format, args...)
}

func findField(fs []field, key string) (field, bool) {
	for _, f := range fs {
		if f.key == key {
			return f, true
		}
	}
	return field{}, false
}

// decodeValue decodes n into v (a struct, a list, or a scalar).
func (d *decoder) decodeValue(n *yaml.Node, v reflect.Value, path string) {
	n = resolveAlias(n)
	switch {
	case v.Kind() == reflect.Struct:
		d.decodeStruct(n, v, path)
	case v.Kind() == reflect.Slice:
		d.decodeList(n, v, path)
	default:
		d.decodeScalar(n, v, path)
	}
}

// decodeList decodes a sequence; no value means an empty list.
func (d *decoder) decodeList(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		v.Set(reflect.Zero(v.Type()))
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.fail(n.Line, path, "want a list such as [a, b], got %s", kindName(n))
		return
	}
	list := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		item = resolveAlias(item)
		d.src.lines[p] = item.Line
		d.decodeValue(item, list.Index(i), p)
	}
	v.Set(list)
}

// decodeScalar decodes a single value into a string, bool, int, float or
// duration.
func (d *decoder) decodeScalar(n *yaml.Node, v reflect.Value, path string) {
	want := scalarName(v)
	if n.Kind != yaml.ScalarNode {
		d.fail(n.Line, path, "want %s, got %s", want, kindName(n))
		return
	}
	tag := n.ShortTag()
	if tag == "!!null" {
		if v.Kind() == reflect.String {
			v.SetString("")
			return
		}
		d.fail(n.Line, path, "no value: give %s, or leave the key out for the default", want)
		return
	}
	bad := func() { d.fail(n.Line, path, "%q is not %s", n.Value, want) }
	switch {
	case v.Type() == durationType:
		dur, err := time.ParseDuration(n.Value)
		if err != nil {
			d.fail(n.Line, path, "%q is not a duration (like 250ms, 90s, 5m or 2h)", n.Value)
			return
		}
		v.SetInt(int64(dur))
	case v.Kind() == reflect.String:
		v.SetString(n.Value)
	case v.Kind() == reflect.Bool:
		var b bool
		if tag != "!!bool" || n.Decode(&b) != nil {
			bad()
			return
		}
		v.SetBool(b)
	case v.Kind() == reflect.Int:
		var i int64
		if tag != "!!int" || n.Decode(&i) != nil || i < math.MinInt || i > math.MaxInt {
			bad()
			return
		}
		v.SetInt(i)
	case v.Kind() == reflect.Float64:
		var f float64
		if (tag != "!!int" && tag != "!!float") || n.Decode(&f) != nil {
			bad()
			return
		}
		v.SetFloat(f)
	default:
		// Only reachable if a field of an unsupported type is added.
		d.fail(n.Line, path, "cannot decode into %s", v.Type())
	}
}

// scalarName says what a value of v's type looks like.
func scalarName(v reflect.Value) string {
	switch {
	case v.Type() == durationType:
		return "a duration"
	case v.Kind() == reflect.String:
		return "a string"
	case v.Kind() == reflect.Bool:
		return "a boolean (true or false)"
	case v.Kind() == reflect.Int:
		return "an integer"
	case v.Kind() == reflect.Float64:
		return "a number"
	}
	return v.Type().String()
}

// suggest names the known key closest to an unknown one, if any is close.
func suggest(key string, fields []field) string {
	best, bestDist := "", 3
	lk := strings.ToLower(key)
	for _, f := range fields {
		if d := editDistance(lk, f.key); d < bestDist {
			best, bestDist = f.key, d
		}
		if best == "" && len(lk) >= 4 && (strings.HasPrefix(f.key, lk) || strings.HasPrefix(lk, f.key)) {
			best = f.key
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// editDistance is the Levenshtein distance between short keys.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return math.MaxInt
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
