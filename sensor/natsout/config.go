package natsout

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/tlsentry/tlsentry/internal/bounds"
)

// Config is the NATS output: the output.nats section of the daemon's
// configuration, which embeds it. With no Servers the output is off.
type Config struct {
	// Servers are the NATS server URLs (nats://host:4222, tls://...):
	// the client connects to one and fails over to the others.
	Servers []string `yaml:"servers"`
	// Creds is a credentials file (a user JWT and its nkey seed, as nsc
	// writes them); NKey a file holding an nkey seed (SU...) alone. At
	// most one of them.
	Creds string `yaml:"creds"`
	NKey  string `yaml:"nkey"`
	// TLSCA verifies the servers' certificates (PEM); TLSCert and TLSKey
	// are the client's own, for servers that ask for one.
	TLSCA   string `yaml:"tls_ca"`
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`

	// SubjectPrefix: each record goes to PREFIX.TYPE (tlsentry.site1.alert).
	// Empty: "tlsentry." and the sensor name as one subject token.
	SubjectPrefix string `yaml:"subject_prefix"`
	// Records are the record types published: "alert", "flow".
	Records []string `yaml:"records"`

	// MaxInFlight bounds the messages published and not yet acknowledged;
	// QueueSize the records waiting in memory for the publisher. Past
	// both, records go to the spool.
	MaxInFlight int `yaml:"max_in_flight"`
	QueueSize   int `yaml:"queue_size"`
	// AckTimeout is how long an acknowledgement may take before the
	// message counts as lost and is sent again.
	AckTimeout time.Duration `yaml:"ack_timeout"`
	// SpoolDir holds the records the server could not take (unreachable or
	// slow), replayed in order when it is back; SpoolSizeMB bounds it.
	SpoolDir    string `yaml:"spool_dir"`
	SpoolSizeMB int    `yaml:"spool_size_mb"`
	// CloseTimeout is how long a stopping sensor waits for the records
	// in hand to be acknowledged before spooling the rest.
	CloseTimeout time.Duration `yaml:"close_timeout"`

	// CreateStream creates (or updates) the stream at start: Stream by
	// name over StreamSubjects, file storage, messages kept StreamMaxAge
	// (0: for ever) and StreamMaxSizeMB (0: no bound), retries within
	// DuplicateWindow deduplicated by message id.
	CreateStream    bool          `yaml:"create_stream"`
	Stream          string        `yaml:"stream"`
	StreamSubjects  []string      `yaml:"stream_subjects"`
	StreamMaxAge    time.Duration `yaml:"stream_max_age"`
	StreamMaxSizeMB int           `yaml:"stream_max_size_mb"`
	DuplicateWindow time.Duration `yaml:"duplicate_window"`
}

// Record types a Config may publish: the eve event types.
const (
	TypeAlert = "alert"
	TypeFlow  = "flow"
)

// Bounds of a Config.
const (
	MaxInFlight        = 1 << 16
	MaxQueueSize       = 1 << 20
	MinAckTimeout      = 100 * time.Millisecond
	MaxAckTimeout      = 5 * time.Minute
	MaxSpoolSizeMB     = 1 << 20 // 1 TiB
	MaxCloseTimeout    = 5 * time.Minute
	MinDuplicateWindow = time.Second
	MaxDuplicateWindow = 24 * time.Hour
	MaxStreamSizeMB    = 1 << 30
	maxSubjectLen      = 200
	maxNameLen         = 64
)

// DefaultConfig is the output off (no servers), with the settings it
// takes when servers are given.
func DefaultConfig() Config {
	return Config{
		Records:         []string{TypeAlert},
		MaxInFlight:     4096,
		QueueSize:       8192,
		AckTimeout:      5 * time.Second,
		SpoolDir:        "/var/lib/tlsentry/spool",
		SpoolSizeMB:     1024,
		CloseTimeout:    10 * time.Second,
		CreateStream:    true,
		Stream:          "TLSENTRY",
		StreamSubjects:  []string{"tlsentry.>"},
		StreamMaxAge:    7 * 24 * time.Hour,
		DuplicateWindow: 10 * time.Minute,
	}
}

// Enabled reports whether the output is on.
func (c Config) Enabled() bool { return len(c.Servers) > 0 }

// Publishes reports whether the output publishes records of type t.
func (c Config) Publishes(t string) bool {
	for _, r := range c.Records {
		if r == t {
			return true
		}
	}
	return false
}

// Prefix is the subject prefix records of the named sensor go under.
func (c Config) Prefix(sensor string) string {
	if c.SubjectPrefix != "" {
		return c.SubjectPrefix
	}
	return "tlsentry." + SubjectToken(sensor)
}

// SubjectToken makes name one subject token: what a subject cannot hold
// (dots, spaces, wildcards, control characters) becomes '_'.
func SubjectToken(name string) string {
	if name == "" {
		return "_"
	}
	return strings.Map(func(r rune) rune {
		if r <= ' ' || r == '.' || r == '*' || r == '>' || r == 0x7f {
			return '_'
		}
		return r
	}, name)
}

// Validate reports every value out of its bounds (*bounds.Error each).
// A Config without servers is not checked further: the output is off.
func (c Config) Validate() error {
	var errs []error
	for i, s := range c.Servers {
		if msg := checkServer(s); msg != "" {
			bounds.Add(&errs, fmt.Sprintf("Servers[%d]", i), "%q %s", s, msg)
		}
	}
	if !c.Enabled() {
		return errors.Join(errs...)
	}
	if c.Creds != "" && c.NKey != "" {
		bounds.Add(&errs, "NKey", "give a creds file or an nkey seed file, not both")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		bounds.Add(&errs, "TLSKey", "a client certificate needs its key, and a key its certificate")
	}
	for _, f := range []struct{ field, v string }{
		{"Creds", c.Creds}, {"NKey", c.NKey}, {"TLSCA", c.TLSCA}, {"TLSCert", c.TLSCert}, {"TLSKey", c.TLSKey}, {"SpoolDir", c.SpoolDir},
	} {
		if strings.ContainsRune(f.v, 0) || strings.HasSuffix(f.v, "/") && f.field != "SpoolDir" {
			bounds.Add(&errs, f.field, "%q is not a file path", f.v)
		}
	}
	if c.SubjectPrefix != "" {
		if msg := checkSubject(c.SubjectPrefix, false); msg != "" {
			bounds.Add(&errs, "SubjectPrefix", "%q %s", c.SubjectPrefix, msg)
		}
	}
	if len(c.Records) == 0 {
		bounds.Add(&errs, "Records", "name at least one record type (%s, %s)", TypeAlert, TypeFlow)
	}
	seen := map[string]bool{}
	for i, r := range c.Records {
		switch {
		case r != TypeAlert && r != TypeFlow:
			bounds.Add(&errs, fmt.Sprintf("Records[%d]", i), "%q is not a record type (%s, %s)", r, TypeAlert, TypeFlow)
		case seen[r]:
			bounds.Add(&errs, fmt.Sprintf("Records[%d]", i), "%q is listed twice", r)
		}
		seen[r] = true
	}
	bounds.Int(&errs, "MaxInFlight", c.MaxInFlight, 1, MaxInFlight)
	bounds.Int(&errs, "QueueSize", c.QueueSize, 1, MaxQueueSize)
	bounds.Duration(&errs, "AckTimeout", c.AckTimeout, MinAckTimeout, MaxAckTimeout)
	if c.SpoolDir == "" {
		bounds.Add(&errs, "SpoolDir", "must not be empty: records wait there while the server is away")
	}
	bounds.Int(&errs, "SpoolSizeMB", c.SpoolSizeMB, 1, MaxSpoolSizeMB)
	bounds.Duration(&errs, "CloseTimeout", c.CloseTimeout, 0, MaxCloseTimeout)
	if c.CreateStream {
		errs = append(errs, c.validateStream()...)
	}
	return errors.Join(errs...)
}

func (c Config) validateStream() []error {
	var errs []error
	if msg := checkStreamName(c.Stream); msg != "" {
		bounds.Add(&errs, "Stream", "%q %s", c.Stream, msg)
	}
	if len(c.StreamSubjects) == 0 {
		bounds.Add(&errs, "StreamSubjects", "the stream needs at least one subject (like tlsentry.>)")
	}
	for i, s := range c.StreamSubjects {
		if msg := checkSubject(s, true); msg != "" {
			bounds.Add(&errs, fmt.Sprintf("StreamSubjects[%d]", i), "%q %s", s, msg)
		}
	}
	bounds.Duration(&errs, "DuplicateWindow", c.DuplicateWindow, MinDuplicateWindow, MaxDuplicateWindow)
	if c.StreamMaxAge != 0 && c.StreamMaxAge < c.DuplicateWindow {
		bounds.Add(&errs, "StreamMaxAge", "%s is shorter than the duplicate window (%s): 0 keeps messages for ever",
			bounds.Short(c.StreamMaxAge), bounds.Short(c.DuplicateWindow))
	}
	bounds.Int(&errs, "StreamMaxSizeMB", c.StreamMaxSizeMB, 0, MaxStreamSizeMB)
	if c.SubjectPrefix != "" && checkSubject(c.SubjectPrefix, false) == "" && !c.streamCovers(c.SubjectPrefix+"."+TypeAlert) {
		bounds.Add(&errs, "SubjectPrefix", "%q: the stream's subjects %v do not take %s.*", c.SubjectPrefix, c.StreamSubjects, c.SubjectPrefix)
	}
	return errs
}

// streamCovers reports whether one of the stream's subjects matches
// subject.
func (c Config) streamCovers(subject string) bool {
	for _, s := range c.StreamSubjects {
		if SubjectMatches(s, subject) {
			return true
		}
	}
	return false
}

// CheckPrefix says whether the stream created at start takes the
// records published under prefix (nil when it does, or when no stream is
// created): the default prefix depends on the sensor name, so the
// daemon checks it once the name is known.
func (c Config) CheckPrefix(prefix string) error {
	if !c.Enabled() || !c.CreateStream || c.streamCovers(prefix+"."+TypeAlert) {
		return nil
	}
	return fmt.Errorf("natsout: records go to %s.*, which the stream's subjects %v do not take", prefix, c.StreamSubjects)
}

func checkServer(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "is not a server URL (like nats://127.0.0.1:4222)"
	}
	switch u.Scheme {
	case "nats", "tls", "ws", "wss":
	default:
		return "has a scheme other than nats, tls, ws or wss"
	}
	return ""
}

// checkSubject says what is wrong with a subject ("" if nothing):
// tokens separated by dots, none empty, without spaces or control
// characters; wildcards (* a token, > the rest) only when allowed.
func checkSubject(s string, wildcards bool) string {
	if s == "" || len(s) > maxSubjectLen {
		return fmt.Sprintf("is not a subject (1-%d bytes)", maxSubjectLen)
	}
	tokens := strings.Split(s, ".")
	for i, t := range tokens {
		switch {
		case t == "":
			return "is not a subject (an empty token)"
		case strings.ContainsFunc(t, func(r rune) bool { return r <= ' ' || r == 0x7f }):
			return "is not a subject (spaces or control characters)"
		case t == "*" || t == ">":
			if !wildcards {
				return "must not hold wildcards"
			}
			if t == ">" && i != len(tokens)-1 {
				return "is not a subject (> must be the last token)"
			}
		case strings.ContainsAny(t, "*>"):
			return "is not a subject (a wildcard inside a token)"
		}
	}
	return ""
}

// SubjectMatches reports whether subject (no wildcards) matches pattern
// (* one token, > one or more tokens at the end).
func SubjectMatches(pattern, subject string) bool {
	pt, st := strings.Split(pattern, "."), strings.Split(subject, ".")
	for i, p := range pt {
		if p == ">" {
			return len(st) > i
		}
		if i >= len(st) || (p != "*" && p != st[i]) {
			return false
		}
	}
	return len(pt) == len(st)
}

// checkStreamName follows the server's rules for stream names.
func checkStreamName(s string) string {
	if s == "" || len(s) > maxNameLen {
		return fmt.Sprintf("is not a stream name (1-%d bytes)", maxNameLen)
	}
	if strings.ContainsFunc(s, func(r rune) bool {
		return r <= ' ' || r == '.' || r == '*' || r == '>' || r == '/' || r == '\\' || r == 0x7f
	}) {
		return "is not a stream name (no spaces, dots, wildcards or slashes)"
	}
	return ""
}
