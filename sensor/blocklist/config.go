package blocklist

import (
	"errors"
	"fmt"

	"github.com/tlsentry/tlsentry/internal/bounds"
)

// Kind is what a list holds. The names are fit for a metric label.
type Kind string

// The kinds of list.
const (
	KindJA3      Kind = "ja3"       // JA3 hashes (MD5, 32 hex digits)
	KindJA4      Kind = "ja4"       // JA4 fingerprints
	KindCertSHA1 Kind = "cert_sha1" // certificate SHA-1 fingerprints (40 hex digits, colons allowed)
	KindSNI      Kind = "sni"       // server names: the name and every name below it
)

// Kinds lists every kind, in the order a flow is matched.
var Kinds = []Kind{KindJA3, KindJA4, KindCertSHA1, KindSNI}

// ParseKind parses a kind's name.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("%q is not a kind of block list (ja3, ja4, cert_sha1 or sni)", s)
}

// Config names the block list files, by kind: the blocklist section of
// the daemon's configuration. Every file is read again on reload.
type Config struct {
	JA3      []string `yaml:"ja3" reload:"hot"`
	JA4      []string `yaml:"ja4" reload:"hot"`
	CertSHA1 []string `yaml:"cert_sha1" reload:"hot"`
	SNI      []string `yaml:"sni" reload:"hot"`
}

// MaxFiles bounds the files of one kind.
const MaxFiles = 64

// File is one list file to load.
type File struct {
	Kind  Kind
	Path  string
	Index int // its place among the files of its kind
}

// Files lists the configured files, kind by kind.
func (c Config) Files() []File {
	var out []File
	for _, k := range Kinds {
		for i, p := range *c.of(k) {
			out = append(out, File{Kind: k, Path: p, Index: i})
		}
	}
	return out
}

// Add appends a file of kind k.
func (c *Config) Add(k Kind, path string) { l := c.of(k); *l = append(*l, path) }

func (c *Config) of(k Kind) *[]string {
	switch k {
	case KindJA3:
		return &c.JA3
	case KindJA4:
		return &c.JA4
	case KindCertSHA1:
		return &c.CertSHA1
	}
	return &c.SNI
}

// Validate checks the file names (a *bounds.Error each, naming the field
// and index: "SNI[1]"): not empty, not repeated within a kind, at most
// MaxFiles per kind. The files themselves are read by Load.
func (c Config) Validate() error {
	var errs []error
	for _, k := range Kinds {
		field := map[Kind]string{KindJA3: "JA3", KindJA4: "JA4", KindCertSHA1: "CertSHA1", KindSNI: "SNI"}[k]
		paths := *c.of(k)
		if len(paths) > MaxFiles {
			bounds.Add(&errs, field, "%d files, at most %d", len(paths), MaxFiles)
		}
		seen := map[string]bool{}
		for i, p := range paths {
			switch {
			case p == "":
				bounds.Add(&errs, fmt.Sprintf("%s[%d]", field, i), "an empty file name")
			case seen[p]:
				bounds.Add(&errs, fmt.Sprintf("%s[%d]", field, i), "%q is listed twice", p)
			}
			seen[p] = true
		}
	}
	return errors.Join(errs...)
}
