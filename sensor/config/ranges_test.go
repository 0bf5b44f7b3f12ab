package config

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// shippedKey is a key of the shipped file with the comment above it.
type shippedKey struct {
	path    string // "capture.workers"
	line    int    // 0-based index in the file's lines
	indent  string
	value   string // as shown (commented-out keys too)
	comment string // the comment lines right above, joined
}

var (
	keyLine     = regexp.MustCompile(`^( *)(#?)([a-z0-9_]+):(.*)$`)
	commentLine = regexp.MustCompile(`^ *#( .*)?$`)
	// A range as the comments write it: "(1-256)", "(1ms-50ms, ...",
	// "(0-1048576; 0: ...", "(packet time; 1s-24h)". In parentheses, so
	// that "8100030-8100032" in prose is not taken for one.
	intRange   = regexp.MustCompile(`(?:\(|\([^)]*?; )(\d+(?:ms|s|m|h)?)-(\d+(?:ms|s|m|h)?)[;:,) ]`)
	floatRange = regexp.MustCompile(`\(more than ([0-9.]+), (at most|less than) ([0-9.]+)[;:,)]`)
	number     = regexp.MustCompile(`^\d+(?:ms|s|m|h)?$`)
)

// shippedKeys reads every key of the shipped file that holds a value
// (shown or commented out), with its path and comment.
func shippedKeys(t *testing.T, lines []string) []shippedKey {
	t.Helper()
	type section struct {
		indent int
		name   string
	}
	var (
		stack   []section
		comment []string
		keys    []shippedKey
	)
	for i, l := range lines {
		if commentLine.MatchString(l) {
			comment = append(comment, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "#")))
			continue
		}
		m := keyLine.FindStringSubmatch(l)
		if m == nil {
			comment = nil
			continue
		}
		indent := len(m[1])
		for len(stack) > 0 && stack[len(stack)-1].indent >= indent {
			stack = stack[:len(stack)-1]
		}
		var path []string
		for _, s := range stack {
			path = append(path, s.name)
		}
		path = append(path, m[3])
		value := strings.TrimSpace(m[4])
		if m[2] == "" && value == "" {
			stack = append(stack, section{indent, m[3]})
		} else {
			keys = append(keys, shippedKey{path: strings.Join(path, "."), line: i, indent: m[1], value: value,
				comment: strings.Join(comment, " ")})
		}
		comment = nil
	}
	return keys
}

// rangeNeeds sets the keys a key's range is checked with where it counts:
// the NATS output's keys are checked only with servers, the pcaps' only
// with a folder.
var rangeNeeds = map[string]map[string]string{
	"output.nats.":             {"output.nats.servers": "[nats://127.0.0.1:4222]"},
	"output.alert_pcap_max_mb": {"output.alert_pcap_dir": "/var/lib/tlsentry/pcaps"},
}

// errorsAt parses and validates the shipped file with the key at k set to
// value (and what rangeNeeds sets for it), and returns the problems
// reported at k's path.
func errorsAt(keys []shippedKey, lines []string, k shippedKey, value string) []string {
	edited := append([]string(nil), lines...)
	set := func(k shippedKey, value string) {
		edited[k.line] = k.indent + k.path[strings.LastIndexByte(k.path, '.')+1:] + ": " + value
	}
	set(k, value)
	for prefix, needs := range rangeNeeds {
		if !strings.HasPrefix(k.path, prefix) {
			continue
		}
		for _, o := range keys {
			if v, ok := needs[o.path]; ok {
				set(o, v)
			}
		}
	}
	c, err := Parse([]byte(strings.Join(edited, "\n")), "t.yaml")
	if err == nil {
		err = c.Validate()
	}
	if err == nil {
		return nil
	}
	var at []string
	for _, msg := range strings.Split(err.Error(), "\n") {
		if strings.Contains(msg, ": "+k.path+": ") {
			at = append(at, msg)
		}
	}
	return at
}

// parseBound reads a bound of a comment's range: a count, or a duration
// when it has a unit (or when the key's value has one: "0-...").
func parseBound(t *testing.T, s string, duration bool) (int64, bool) {
	t.Helper()
	if !duration && !strings.ContainsAny(s, "smh") {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n, false
	}
	if s == "0" {
		return 0, true
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return int64(d), true
}

func formatBound(n int64, duration bool) string {
	if duration {
		return time.Duration(n).String()
	}
	return strconv.FormatInt(n, 10)
}

// Bounds whose lower end the comment cannot state for every machine.
var rangeSkips = map[string]string{
	// The page size, 4 KB on most machines: checked only there.
	"capture.block_size_kb lo": "page",
}

// noRangeInComment lists the numeric keys whose comments give no
// "(lo-hi)" range, and say why in words.
var noRangeInComment = map[string]bool{
	"flow.verdict_timeout":       true, // 1s up to idle_timeout
	"beacon.min_connections":     true, // 4 to ring_length
	"beacon.min_period":          true, // no bound but above 0
	"output.nats.stream_max_age": true, // 0, or at least duplicate_window
}

// TestShippedCommentRanges reads the range each key's comment in the
// shipped file gives, "(lo-hi)" or "(more than lo, at most hi)", and
// checks it is the validator's: lo and hi are taken, one step past either
// end is refused at that key. The comments said 1ms-10s where the
// validator took 1ms-50ms, 0-1048576 where it refused 0...
func TestShippedCommentRanges(t *testing.T) {
	const path = "../../configs/tlsentry.yaml"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	checked := 0
	keys := shippedKeys(t, lines)
	for _, k := range keys {
		if strings.HasPrefix(k.value, "[") || strings.HasPrefix(k.value, "{") {
			continue // lists: their items' ranges are not the key's
		}
		accept := func(v string) {
			t.Helper()
			if errs := errorsAt(keys, lines, k, v); len(errs) > 0 {
				t.Errorf("%s: %s, in the range its comment gives, is refused: %v", k.path, v, errs)
			}
		}
		refuse := func(v string) {
			t.Helper()
			if errs := errorsAt(keys, lines, k, v); len(errs) == 0 {
				t.Errorf("%s: %s, outside the range its comment gives, is taken", k.path, v)
			}
		}
		if m := floatRange.FindStringSubmatch(k.comment); m != nil {
			lo, _ := strconv.ParseFloat(m[1], 64)
			hi, _ := strconv.ParseFloat(m[3], 64)
			refuse(m[1])
			accept(strconv.FormatFloat(lo+1e-6, 'g', -1, 64))
			if m[2] == "at most" {
				accept(m[3])
			} else {
				refuse(m[3])
			}
			refuse(strconv.FormatFloat(hi+1e-6, 'g', -1, 64))
			t.Logf("%s: more than %s, %s %s", k.path, m[1], m[2], m[3])
			checked++
			continue
		}
		m := intRange.FindStringSubmatch(k.comment)
		if m == nil {
			if number.MatchString(k.value) && !noRangeInComment[k.path] {
				t.Errorf("%s: a number whose comment gives no range (lo-hi): %q", k.path, k.comment)
			}
			continue
		}
		if n := len(intRange.FindAllString(k.comment, -1)); n > 1 {
			t.Errorf("%s: %d ranges in its comment, want one", k.path, n)
		}
		isDur := strings.ContainsAny(k.value, "smh") && number.MatchString(k.value)
		lo, dur := parseBound(t, m[1], isDur)
		hi, _ := parseBound(t, m[2], isDur || dur)
		dur = dur || isDur
		if rangeSkips[k.path+" lo"] != "page" || os.Getpagesize() == 4096 {
			accept(formatBound(lo, dur))
		}
		accept(formatBound(hi, dur))
		refuse(formatBound(lo-1, dur))
		refuse(formatBound(hi+1, dur))
		t.Logf("%s: %s-%s", k.path, m[1], m[2])
		checked++
	}
	if checked < 40 {
		t.Errorf("%d ranges checked in %s; the reader missed some", checked, path)
	}
}
