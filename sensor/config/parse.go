package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize bounds the configuration file Load reads (allowlists can be
// long, but not this long).
const MaxFileSize = 16 << 20

// Load reads, parses and validates the file at path (see Parse). Relative
// file paths in it (detector.model, output.alert_log, output.flow_log, output.tls_log,
// output.log, output.alert_pcap_dir) are taken relative to the file's
// directory, as Prometheus does, so that the daemon's working directory
// does not matter.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, &Error{File: path, Msg: fmt.Sprintf("larger than %d bytes", MaxFileSize)}
	}
	c, err := Parse(data, path)
	if err != nil {
		return nil, err
	}
	c.resolvePaths(filepath.Dir(path))
	return c, nil
}

// resolvePaths makes the relative file paths of c relative to dir.
func (c *Config) resolvePaths(dir string) {
	n := &c.Output.NATS
	for _, p := range []*string{&c.Detector.Model, &c.Output.AlertLog, &c.Output.FlowLog, &c.Output.TLSLog, &c.Output.Log, &c.Output.AlertPcapDir,
		&n.Creds, &n.NKey, &n.TLSCA, &n.TLSCert, &n.TLSKey, &n.SpoolDir} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	b := &c.Blocklist
	for _, list := range [][]string{b.JA3, b.JA4, b.CertSHA1, b.SNI} {
		for i, p := range list {
			if p != "" && !filepath.IsAbs(p) {
				list[i] = filepath.Join(dir, p)
			}
		}
	}
}

// Parse decodes a YAML configuration strictly and validates it (Validate,
// not ValidateLive). Keys left out keep the values of Default. name is
// what error messages call the file. Every problem found is reported (up
// to 20), each as an *Error with its line.
func Parse(data []byte, name string) (*Config, error) {
	c := Default()
	src := &source{name: name, lines: map[string]int{}}
	c.src = src
	d := decoder{errs: errorList{src: src}, src: src}
	root, err := parseDocument(data)
	if err != nil {
		return nil, syntaxError(name, err)
	}
	if root != nil {
		d.decodeStruct(root, reflect.ValueOf(c).Elem(), "")
	}
	c.Flow.FitVerdictTimeout(c.set("flow.verdict_timeout"))
	// Values that failed to decode keep their defaults, so checking the
	// rest now reports every problem in one go, not one per try.
	c.check(&d.errs)
	if err := d.errs.sorted().err(); err != nil {
		return nil, err
	}
	return c, nil
}

// parseDocument parses data into its one YAML document; nil for a file
// with no document (empty, or only comments).
func parseDocument(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("yaml: line %d: a second YAML document: the configuration is one document", next.Line)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, nil
		}
		root = root.Content[0]
	}
	root = resolveAlias(root)
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil, nil
	}
	return root, nil
}

var yamlLineError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parserProblems start the messages of the YAML library's parser (as
// opposed to its scanner). For those it prints the 0-based line of the
// construct that failed, or nothing when that is the first line; the
// scanner's lines are 1-based. syntaxError turns both into 1-based lines.
var parserProblems = []string{
	"did not find expected ",
	"found duplicate %",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// syntaxError turns the YAML library's "yaml: line N: problem" into an
// *Error with the line.
func syntaxError(name string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLineError.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	for _, p := range parserProblems {
		if strings.HasPrefix(msg, p) {
			line++
			break
		}
	}
	return &Error{File: name, Line: line, Msg: "invalid YAML: " + msg}
}

// resolveAlias follows *alias nodes to what they name.
func resolveAlias(n *yaml.Node) *yaml.Node {
	// An alias names an anchor defined before it, so chains end; the
	// bound is only a guard.
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// kindName says what a node is, for "want X, got Y" messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "no value"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an alias"
}
