package fleet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/nats-io/nats.go/jetstream"
)

// Revision is a new value of one of a sensor's keys.
type Revision struct {
	Kind     Kind
	Revision uint64 // the key-value revision
	// Removed: the key was deleted; the sensor goes back to its own
	// file's settings or model.
	Removed bool
	// Data is the settings document, or the model file (fetched and
	// checked against its pointer).
	Data  []byte
	Model ModelPointer // of a model revision
	// Err says why a model revision's file could not be had (the object
	// is missing, too large, or not the file the pointer names).
	Err error
}

// Watch calls apply with each revision of the sensor's keys (the fleet's
// settings, the sensor's own settings, the fleet's model): first those
// in effect now, then every new one, until ctx ends (nil error) or the
// watch fails. apply runs on Watch's goroutine, one revision at a time;
// of revisions that wait meanwhile, the latest of each key is applied,
// the model before settings (settings may name an alert rate only the new
// model knows).
func (f *Fleet) Watch(ctx context.Context, sensor string, apply func(Revision)) error {
	keys := map[string]Kind{}
	for _, k := range Kinds() {
		keys[f.cfg.Key(k, sensor)] = k
	}
	w, err := f.kv.WatchFiltered(ctx, []string{f.cfg.Key(KindSettings, sensor), f.cfg.Key(KindSensorSettings, sensor), f.cfg.Key(KindModel, sensor)})
	if err != nil {
		return fmt.Errorf("fleet: watch: %w", err)
	}
	defer w.Stop()
	for {
		pending := map[Kind]jetstream.KeyValueEntry{}
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				return errors.New("fleet: watch ended")
			}
			if e != nil {
				pending[keys[e.Key()]] = e
			}
		}
	more:
		for {
			select {
			case e, ok := <-w.Updates():
				if !ok {
					break more
				}
				if e != nil {
					pending[keys[e.Key()]] = e
				}
			default:
				break more
			}
		}
		for _, k := range []Kind{KindModel, KindSettings, KindSensorSettings} {
			if e, ok := pending[k]; ok {
				apply(f.revision(ctx, k, e))
			}
		}
	}
}

// revision turns a key-value entry into a Revision, fetching the model
// file a model revision points at.
func (f *Fleet) revision(ctx context.Context, k Kind, e jetstream.KeyValueEntry) Revision {
	r := Revision{Kind: k, Revision: e.Revision()}
	if op := e.Operation(); op == jetstream.KeyValueDelete || op == jetstream.KeyValuePurge {
		r.Removed = true
		return r
	}
	if k != KindModel {
		r.Data = e.Value()
		return r
	}
	if err := json.Unmarshal(e.Value(), &r.Model); err != nil {
		r.Err = fmt.Errorf("fleet: model key: %w", err)
		return r
	}
	r.Data, r.Err = f.fetchModel(ctx, r.Model)
	return r
}

// fetchModel downloads the model file p points at, within the size
// bound, and checks it is that file.
func (f *Fleet) fetchModel(ctx context.Context, p ModelPointer) ([]byte, error) {
	limit := int64(f.cfg.MaxModelMB) << 20
	if p.Size > limit {
		return nil, fmt.Errorf("fleet: model of %d bytes: at most %d MB (fleet.max_model_mb)", p.Size, f.cfg.MaxModelMB)
	}
	obj, err := f.obj.Get(ctx, p.Object)
	if err != nil {
		return nil, fmt.Errorf("fleet: model object %s: %w", p.Object, err)
	}
	defer obj.Close()
	data, err := io.ReadAll(io.LimitReader(obj, limit+1))
	if err != nil {
		return nil, fmt.Errorf("fleet: model object %s: %w", p.Object, err)
	}
	sum := sha256.Sum256(data)
	if int64(len(data)) != p.Size || hex.EncodeToString(sum[:]) != p.SHA256 {
		return nil, fmt.Errorf("fleet: model object %s is not the file its revision names (%d bytes, SHA-256 %x; a newer push replaced it?)",
			p.Object, len(data), sum[:6])
	}
	return data, nil
}
