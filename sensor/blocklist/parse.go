package blocklist

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds on what one list file may hold: a public list runs to some 100k
// entries of under 100 bytes; these are far above that and stop an
// absurd file (a wrong path, a binary) before it costs much memory.
const (
	MaxFileSize  = 64 << 20  // bytes
	MaxEntries   = 1_000_000 // entries per file
	MaxLineLen   = 4096      // bytes per line
	MaxReasonLen = 200       // bytes of reason text kept, the rest cut
	// maxLineErrors bounds the bad lines one file reports.
	maxLineErrors = 10
)

// Entry is one listed value.
type Entry struct {
	Value  string // in normal form (see normalize)
	Reason string // the list's reason ("Dridex C&C"), "" when it gives none
	File   string // the file it came from
	Line   int    // its line there, from 1
}

// LineError is a bad line of a list file.
type LineError struct {
	File string
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Column names a header may give a list's values and reasons (lower
// case). SSLBL's CSVs name theirs in a commented header line
// ("# Listingdate,SHA1,Listingreason", "# ja3_md5,Firstseen,Lastseen,Listingreason").
var (
	valueColumns = map[Kind][]string{
		KindJA3:      {"ja3_md5", "ja3", "ja3_hash", "ja3 hash"},
		KindJA4:      {"ja4", "ja4_fingerprint", "ja4 fingerprint"},
		KindCertSHA1: {"sha1", "sha1_fingerprint", "cert_sha1", "certificate_sha1", "x509_sha1", "fingerprint"},
		KindSNI:      {"sni", "server_name", "servername", "domain", "hostname", "host", "name"},
	}
	reasonColumns = []string{"listingreason", "reason", "malware", "family", "threat", "description", "comment", "tags"}
)

// parser reads one list file line by line.
type parser struct {
	kind      Kind // "" until known, when the caller left it to the file
	name      string
	header    bool // columns come from a header
	valueCol  int
	reasonCol int  // -1: none
	data      bool // a data line was read
	seen      map[string]bool
	entries   []Entry
	errs      []error
	bad       int // bad lines in all
}

// Parse reads a block list of kind k from r; name is what entries and
// errors call the file. With k empty the file says its kind: by a header
// column's name, else by its first value (32 hex digits: JA3, 40: a
// certificate's SHA-1, a JA4, else a server name); the kind is returned.
//
// Layouts: one value per line; or CSV lines, their columns named by a
// header line (commented with '#' or not), else the value taken from the
// first field that is one and the reason from the last field; a single
// value may have its reason after " #". Lines starting with '#' are
// comments; blank lines are skipped. A value listed
// twice keeps its first line. Any bad line refuses the file, with its
// line number; at most the first few are reported.
func Parse(r io.Reader, k Kind, name string) (Kind, []Entry, error) {
	p := &parser{kind: k, name: name, reasonCol: -1, seen: map[string]bool{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxLineLen)
	line := 0
	for sc.Scan() {
		line++
		p.line(line, sc.Text())
		if len(p.entries) > MaxEntries {
			return "", nil, &LineError{File: name, Line: line, Msg: fmt.Sprintf("more than %d entries in one file", MaxEntries)}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("longer than %d bytes: not a block list", MaxLineLen)
		}
		p.fail(line+1, "%s", err.Error())
	}
	if p.bad > len(p.errs) {
		p.errs = append(p.errs, fmt.Errorf("%s: %d bad lines in all", name, p.bad))
	}
	if len(p.errs) > 0 {
		return "", nil, errors.Join(p.errs...)
	}
	return p.kind, p.entries, nil
}

func (p *parser) fail(line int, format string, args ...any) {
	p.bad++
	if len(p.errs) < maxLineErrors {
		p.errs = append(p.errs, &LineError{File: p.name, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
}

func (p *parser) line(n int, s string) {
	if n == 1 {
		s = strings.TrimPrefix(s, "\ufeff") // a byte order mark
	}
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		p.fail(n, "not text (invalid UTF-8 or a NUL byte): not a block list")
		return
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	if strings.HasPrefix(s, "#") {
		// SSLBL comments its header line: take it when it comes before
		// any data.
		if !p.header && !p.data {
			if fields, err := splitCSV(strings.TrimSpace(strings.TrimLeft(s, "#"))); err == nil {
				p.takeHeader(fields)
			}
		}
		return
	}
	// One value per line may carry its reason after a '#':
	// "evil.example # Dridex C&C".
	var comment string
	if i := strings.Index(s, " #"); i > 0 && !strings.ContainsAny(s[:i], ",\"") {
		s, comment = strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+2:])
	}
	fields, err := splitCSV(s)
	if err != nil {
		p.fail(n, "not a CSV line: %v", err)
		return
	}
	if !p.header && !p.data && comment == "" && p.takeHeader(fields) {
		return
	}
	p.data = true
	value, reason, err := p.pick(fields)
	if err != nil {
		p.fail(n, "%v", err)
		return
	}
	if reason == "" {
		reason = comment
	}
	if p.seen[value] {
		return
	}
	p.seen[value] = true
	p.entries = append(p.entries, Entry{Value: value, Reason: cleanReason(reason), File: p.name, Line: n})
}

// takeHeader takes fields as the header when one names a value column of
// the list's kind (of any kind, when the kind is not known yet). (A
// server name list whose first line is "domain" alone has it taken as
// its header.)
func (p *parser) takeHeader(fields []string) bool {
	kinds := Kinds
	if p.kind != "" {
		kinds = []Kind{p.kind}
	}
	for _, k := range kinds {
		for i, f := range fields {
			if !slices.Contains(valueColumns[k], strings.ToLower(strings.TrimSpace(f))) {
				continue
			}
			p.kind, p.header, p.valueCol, p.reasonCol = k, true, i, -1
			for _, name := range reasonColumns {
				if j := slices.IndexFunc(fields, func(f string) bool { return strings.EqualFold(strings.TrimSpace(f), name) }); j >= 0 {
					p.reasonCol = j
					break
				}
			}
			return true
		}
	}
	return false
}

// pick finds a data line's value (normalised) and reason.
func (p *parser) pick(fields []string) (value, reason string, err error) {
	if p.header {
		if p.valueCol >= len(fields) {
			return "", "", fmt.Errorf("%d fields: no column %d, the header's %s", len(fields), p.valueCol+1, p.kind.describe())
		}
		if p.reasonCol >= 0 && p.reasonCol < len(fields) {
			reason = fields[p.reasonCol]
		}
		value, err = normalize(p.kind, strings.TrimSpace(fields[p.valueCol]))
		return value, reason, err
	}
	if p.kind == "" {
		p.kind = detect(fields)
	}
	if len(fields) == 1 {
		value, err = normalize(p.kind, fields[0])
		return value, "", err
	}
	for i, f := range fields {
		if v, err := normalize(p.kind, strings.TrimSpace(f)); err == nil {
			if last := len(fields) - 1; i != last {
				reason = fields[last]
			}
			return v, reason, nil
		}
	}
	return "", "", fmt.Errorf("no field is a %s: %s", p.kind.describe(), strings.Join(quoteAll(fields), ","))
}

// detect guesses the kind of a file without a header from its first data
// line: a field that is a JA3 hash, a SHA-1 or a JA4, else a server name.
func detect(fields []string) Kind {
	for _, k := range []Kind{KindJA3, KindCertSHA1, KindJA4} {
		for _, f := range fields {
			if _, err := normalize(k, strings.TrimSpace(f)); err == nil {
				return k
			}
		}
	}
	return KindSNI
}

// splitCSV splits one line as CSV: quoted fields may hold commas.
func splitCSV(s string) ([]string, error) {
	if !strings.ContainsRune(s, '"') {
		return strings.Split(s, ","), nil
	}
	r := csv.NewReader(strings.NewReader(s))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	return r.Read()
}

// cleanReason makes a listing reason fit for an alert: spaces trimmed,
// controls made spaces, cut at MaxReasonLen bytes.
func cleanReason(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	if len(s) > MaxReasonLen {
		cut := MaxReasonLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return strings.TrimSpace(s)
}

func quoteAll(fields []string) []string {
	out := make([]string, 0, min(len(fields), 4))
	for i, f := range fields {
		if i == 4 {
			out = append(out, "...")
			break
		}
		out = append(out, fmt.Sprintf("%q", f))
	}
	return out
}
