package fleet

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tlsentry/tlsentry/internal/bounds"
)

// Config is the fleet section of the daemon's configuration: whether the
// sensor takes its model and settings from the fleet's buckets, which
// fleet it belongs to, and the buckets' names. The connection is the NATS
// output's.
type Config struct {
	// Watch applies every new revision of the fleet's model and settings
	// (and of this sensor's own settings) through the reload path.
	Watch bool `yaml:"watch"`
	// Name is the fleet: sensors of one fleet share its model and
	// settings. Letters, digits, '-' and '_'.
	Name string `yaml:"name"`
	// Bucket is the key-value bucket holding settings and model
	// revisions; ModelBucket the object store holding model files.
	Bucket      string `yaml:"bucket"`
	ModelBucket string `yaml:"model_bucket"`
	// MaxModelMB bounds the model file a sensor downloads.
	MaxModelMB int `yaml:"max_model_mb"`
}

// Bounds and defaults of a Config.
const (
	DefaultName        = "default"
	DefaultBucket      = "tlsentry_fleet"
	DefaultModelBucket = "tlsentry_models"
	MaxModelMB         = 4096
	maxNameLen         = 64
)

// DefaultConfig is fleet watching off, with the names it takes when on.
func DefaultConfig() Config {
	return Config{Name: DefaultName, Bucket: DefaultBucket, ModelBucket: DefaultModelBucket, MaxModelMB: 256}
}

// Validate reports every value out of its bounds (*bounds.Error each).
func (c Config) Validate() error {
	var errs []error
	if msg := checkName(c.Name); msg != "" {
		bounds.Add(&errs, "Name", "%q %s", c.Name, msg)
	}
	if msg := checkName(c.Bucket); msg != "" {
		bounds.Add(&errs, "Bucket", "%q %s", c.Bucket, msg)
	}
	if msg := checkName(c.ModelBucket); msg != "" {
		bounds.Add(&errs, "ModelBucket", "%q %s", c.ModelBucket, msg)
	}
	bounds.Int(&errs, "MaxModelMB", c.MaxModelMB, 1, MaxModelMB)
	return errors.Join(errs...)
}

// checkName says what is wrong with a fleet or bucket name ("" if
// nothing): what both a key-value key token and a bucket name take.
func checkName(s string) string {
	if s == "" || len(s) > maxNameLen {
		return fmt.Sprintf("is not a name (1-%d letters, digits, '-' or '_')", maxNameLen)
	}
	if strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) {
		return "is not a name (only letters, digits, '-' and '_')"
	}
	return ""
}

// KeyToken makes a sensor name one key-value key token: what a key
// cannot hold becomes '_'.
func KeyToken(name string) string {
	if name == "" {
		return "_"
	}
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, name)
}
