package fleet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ModelPointer is the value of the model key: which object holds the
// model file, and what the file must be.
type ModelPointer struct {
	Object string    `json:"object"`
	SHA256 string    `json:"sha256"` // hex
	Size   int64     `json:"size"`
	Model  string    `json:"model,omitempty"` // kind/id, for people reading the bucket
	Pushed time.Time `json:"pushed"`
}

// PushModel stores a model file and points the fleet's model key at it;
// every watching sensor then loads it. It returns the key's new revision.
// The file is not checked here (tlsentry model push checks it first):
// each sensor checks what it loads, and refuses a bad file.
func (f *Fleet) PushModel(ctx context.Context, data []byte, modelName string) (uint64, error) {
	if int64(len(data)) > int64(f.cfg.MaxModelMB)<<20 {
		return 0, fmt.Errorf("fleet: model file of %d bytes: sensors take at most %d MB (fleet.max_model_mb)", len(data), f.cfg.MaxModelMB)
	}
	sum := sha256.Sum256(data)
	name := f.cfg.modelObject()
	if _, err := f.obj.Put(ctx, jetstream.ObjectMeta{Name: name, Description: modelName}, bytes.NewReader(data)); err != nil {
		return 0, fmt.Errorf("fleet: store model: %w", err)
	}
	ptr, err := json.Marshal(ModelPointer{Object: name, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), Model: modelName, Pushed: time.Now().UTC()})
	if err != nil {
		return 0, err
	}
	rev, err := f.kv.Put(ctx, f.cfg.Key(KindModel, ""), ptr)
	if err != nil {
		return 0, fmt.Errorf("fleet: model key: %w", err)
	}
	return rev, nil
}

// PushSettings stores settings (a YAML document of fleet keys): the
// fleet's when sensor is empty, else that sensor's own. It returns the
// key's new revision. The document is not checked here (tlsentry config
// push checks it first); each sensor refuses settings it cannot apply.
func (f *Fleet) PushSettings(ctx context.Context, sensor string, data []byte) (uint64, error) {
	k := KindSettings
	if sensor != "" {
		k = KindSensorSettings
	}
	rev, err := f.kv.Put(ctx, f.cfg.Key(k, sensor), data)
	if err != nil {
		return 0, fmt.Errorf("fleet: settings: %w", err)
	}
	return rev, nil
}

// Remove deletes a key (the fleet's settings or model, or a sensor's
// settings): sensors go back to their own file's settings or model.
func (f *Fleet) Remove(ctx context.Context, k Kind, sensor string) error {
	key := f.cfg.Key(k, sensor)
	if err := f.kv.Delete(ctx, key); err != nil {
		return fmt.Errorf("fleet: remove %s: %w", key, err)
	}
	return nil
}
