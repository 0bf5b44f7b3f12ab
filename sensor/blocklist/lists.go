package blocklist

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/tlsentry/tlsentry/detector/scoring"
)

// Lists are the compiled block lists. The zero Lists and a nil *Lists
// match nothing.
type Lists struct {
	byKind map[Kind]map[string]*Entry
}

// Load reads every file cfg names, all or nothing: any error (a missing
// file, a bad line) refuses the lot, every file's problems said at once.
func Load(cfg Config) (*Lists, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("blocklist: %w", err)
	}
	l := &Lists{}
	var errs []error
	for _, f := range cfg.Files() {
		_, entries, err := ReadFile(f.Kind, f.Path)
		if err != nil {
			errs = append(errs, &FileError{File: f, Err: err})
			continue
		}
		l.Add(f.Kind, entries)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return l, nil
}

// FileError is a list file Load could not read: which file of which
// kind (Index: its place among the kind's files) and why.
type FileError struct {
	File
	Err error
}

func (e *FileError) Error() string { return e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// Add adds entries of kind k (in normal form, as Parse gives them); a
// value already listed keeps its first entry.
func (l *Lists) Add(k Kind, entries []Entry) {
	if l.byKind == nil {
		l.byKind = map[Kind]map[string]*Entry{}
	}
	m := l.byKind[k]
	if m == nil {
		m = make(map[string]*Entry, len(entries))
		l.byKind[k] = m
	}
	for i := range entries {
		if _, ok := m[entries[i].Value]; !ok {
			m[entries[i].Value] = &entries[i]
		}
	}
}

// Len is the number of distinct entries of kind k.
func (l *Lists) Len(k Kind) int {
	if l == nil {
		return 0
	}
	return len(l.byKind[k])
}

// Total is the number of entries of every kind.
func (l *Lists) Total() int {
	n := 0
	for _, k := range Kinds {
		n += l.Len(k)
	}
	return n
}

// Info is what the lists look at in a flow. Empty fields match nothing.
type Info struct {
	JA3, JA4 string
	SNI      string
	// Certs are the SHA-1 fingerprints of the server's certificates,
	// leaf first, as tlsparse prints them (lower-case, colon-separated).
	Certs []string
}

// Hit is a flow's value found on a list.
type Hit struct {
	Kind  Kind
	Value string // the flow's value, as its record shows it
	Cert  int    // for a certificate: its place in the chain (0: the leaf)
	Entry *Entry // the entry it matched
}

// Match finds the flow's values on the lists: at most one hit per kind,
// in the order of Kinds.
func (l *Lists) Match(f Info) []Hit {
	if l == nil || len(l.byKind) == 0 {
		return nil
	}
	var hits []Hit
	if e := l.lookUp(KindJA3, f.JA3); e != nil {
		hits = append(hits, Hit{Kind: KindJA3, Value: f.JA3, Entry: e})
	}
	if e := l.lookUp(KindJA4, f.JA4); e != nil {
		hits = append(hits, Hit{Kind: KindJA4, Value: f.JA4, Entry: e})
	}
	if m := l.byKind[KindCertSHA1]; len(m) > 0 {
		for i, c := range f.Certs {
			if e := m[strings.ToLower(c)]; e != nil {
				hits = append(hits, Hit{Kind: KindCertSHA1, Value: c, Cert: i, Entry: e})
				break
			}
		}
	}
	if m := l.byKind[KindSNI]; len(m) > 0 && f.SNI != "" {
		// The name, then each name above it, a whole label at a time.
		for name := strings.ToLower(strings.TrimSuffix(f.SNI, ".")); name != ""; {
			if e := m[name]; e != nil {
				hits = append(hits, Hit{Kind: KindSNI, Value: f.SNI, Entry: e})
				break
			}
			dot := strings.IndexByte(name, '.')
			if dot < 0 {
				break
			}
			name = name[dot+1:]
		}
	}
	return hits
}

func (l *Lists) lookUp(k Kind, v string) *Entry {
	m := l.byKind[k]
	if len(m) == 0 || v == "" {
		return nil
	}
	return m[strings.ToLower(v)]
}

// Reason is the hit as a scoring reason on the lists layer: check
// list.<kind>, the record field and the flow's value, and in words which
// list holds it and why.
func (h Hit) Reason() scoring.Reason {
	r := scoring.Reason{Layer: scoring.LayerLists, Feature: "list." + string(h.Kind), Value: h.Value}
	what := h.Kind.describe() + " " + h.Value
	switch h.Kind {
	case KindJA3:
		r.Field = "tls.ja3.hash"
	case KindJA4:
		r.Field = "tls.ja4"
	case KindCertSHA1:
		r.Field = "tls.fingerprint"
		if h.Cert > 0 {
			r.Field = fmt.Sprintf("tls.chain[%d]", h.Cert)
			what = fmt.Sprintf("the SHA-1 %s of chain certificate %d", h.Value, h.Cert+1)
		}
	case KindSNI:
		r.Field = "tls.sni"
		if !strings.EqualFold(strings.TrimSuffix(h.Value, "."), h.Entry.Value) {
			what += " (under " + h.Entry.Value + ")"
		}
	}
	r.Text = fmt.Sprintf("%s is on block list %s line %d", what, filepath.Base(h.Entry.File), h.Entry.Line)
	if h.Entry.Reason != "" {
		r.Text += ": " + h.Entry.Reason
	}
	return r
}
