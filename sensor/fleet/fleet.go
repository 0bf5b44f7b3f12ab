package fleet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Fleet is a fleet's buckets on a NATS server.
type Fleet struct {
	cfg Config
	kv  jetstream.KeyValue
	obj jetstream.ObjectStore
}

// historyKept is how many revisions of each key the bucket keeps, to see
// what was pushed before.
const historyKept = 16

// Open binds to the fleet's buckets, creating them when missing (the
// first sensor or push makes them; the same settings make the same
// buckets, so sensors starting together do not conflict).
func Open(ctx context.Context, nc *nats.Conn, cfg Config) (*Fleet, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	f := &Fleet{cfg: cfg}
	f.kv, err = js.KeyValue(ctx, cfg.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		f.kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: cfg.Bucket, Description: "tlsentry fleet settings and model revisions",
			History: historyKept, Storage: jetstream.FileStorage,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("fleet: bucket %s: %w", cfg.Bucket, err)
	}
	f.obj, err = js.ObjectStore(ctx, cfg.ModelBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		f.obj, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket: cfg.ModelBucket, Description: "tlsentry model files", Storage: jetstream.FileStorage,
		})
	}
	if err != nil {
		return nil, fmt.Errorf("fleet: object store %s: %w", cfg.ModelBucket, err)
	}
	return f, nil
}

// Kind says which of a sensor's keys a revision is of.
type Kind string

// Kinds of revisions, and the metric labels they go by.
const (
	KindSettings       Kind = "settings"        // the fleet's settings
	KindSensorSettings Kind = "sensor_settings" // this sensor's settings, over the fleet's
	KindModel          Kind = "model"           // the fleet's model
)

// Kinds lists the kinds of revisions.
func Kinds() []Kind { return []Kind{KindSettings, KindSensorSettings, KindModel} }

// Key is the key-value key a revision of kind k is under; sensor names
// the sensor for KindSensorSettings.
func (c Config) Key(k Kind, sensor string) string {
	switch k {
	case KindSensorSettings:
		return c.Name + ".sensor." + KeyToken(sensor) + ".settings"
	case KindModel:
		return c.Name + ".model"
	}
	return c.Name + ".settings"
}

// modelObject is the object store name of the fleet's model file.
func (c Config) modelObject() string { return c.Name + ".model" }
