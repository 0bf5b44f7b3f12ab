package fleet

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tlsentry/tlsentry/internal/natstest"
)

func openFleet(t *testing.T, url string) *Fleet {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	f, err := Open(t.Context(), nc, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// watchInto runs Watch for sensor, sending every revision to a channel.
func watchInto(t *testing.T, f *Fleet, sensor string) <-chan Revision {
	ch := make(chan Revision, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Watch(ctx, sensor, func(r Revision) { ch <- r }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return ch
}

func next(t *testing.T, ch <-chan Revision) Revision {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no revision within 10 s")
	}
	return Revision{}
}

// TestPushAndWatch: a sensor sees what is in effect when it starts, then
// each push to its fleet and to itself, but not another sensor's; a model
// file arrives whole and checked; a removed key says so.
func TestPushAndWatch(t *testing.T) {
	srv := natstest.Start(t)
	f := openFleet(t, srv.URL())
	ctx := t.Context()
	model := bytes.Repeat([]byte("model bytes "), 200_000) // several chunks
	modelRev, err := f.PushModel(ctx, model, "hybrid/abc")
	if err != nil {
		t.Fatal(err)
	}

	ch := watchInto(t, openFleet(t, srv.URL()), "dmz.1")
	r := next(t, ch)
	if r.Kind != KindModel || r.Revision != modelRev || r.Err != nil || !bytes.Equal(r.Data, model) || r.Model.Model != "hybrid/abc" {
		t.Fatalf("first revision %v %d err %v (%d bytes)", r.Kind, r.Revision, r.Err, len(r.Data))
	}
	setRev, err := f.PushSettings(ctx, "", []byte("detector: {threshold: 5}"))
	if err != nil {
		t.Fatal(err)
	}
	if r := next(t, ch); r.Kind != KindSettings || r.Revision != setRev || string(r.Data) != "detector: {threshold: 5}" {
		t.Fatalf("settings revision %+v", r)
	}
	if _, err := f.PushSettings(ctx, "other", []byte("detector: {threshold: 9}")); err != nil {
		t.Fatal(err)
	}
	mine, err := f.PushSettings(ctx, "dmz.1", []byte("detector: {threshold: 6}"))
	if err != nil {
		t.Fatal(err)
	}
	if r := next(t, ch); r.Kind != KindSensorSettings || r.Revision != mine {
		t.Fatalf("sensor settings revision %+v (another sensor's seen?)", r)
	}
	if err := f.Remove(ctx, KindSensorSettings, "dmz.1"); err != nil {
		t.Fatal(err)
	}
	if r := next(t, ch); r.Kind != KindSensorSettings || !r.Removed || r.Revision <= mine {
		t.Fatalf("removal %+v", r)
	}

	// The object replaced behind the pointer's back: the revision comes
	// with an error, not with the wrong file.
	if _, err := f.obj.PutBytes(ctx, f.cfg.modelObject(), []byte("other")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.kv.Put(ctx, f.cfg.Key(KindModel, ""), mustEntry(t, f, KindModel)); err != nil {
		t.Fatal(err)
	}
	if r := next(t, ch); r.Kind != KindModel || r.Err == nil || r.Data != nil {
		t.Fatalf("a model that is not the pointed file: %+v", r.Err)
	}
}

// TestWatchStartsWithWhatIsInEffect: a sensor that starts after several
// pushes gets the latest revision of each key once, model first.
func TestWatchStartsWithWhatIsInEffect(t *testing.T) {
	srv := natstest.Start(t)
	f := openFleet(t, srv.URL())
	ctx := t.Context()
	for i := range 3 {
		f.PushSettings(ctx, "", []byte{byte('a' + i)})
		f.PushModel(ctx, []byte{byte('x' + i)}, "")
	}
	ch := watchInto(t, f, "s")
	got := map[Kind]Revision{}
	for range 2 {
		r := next(t, ch)
		got[r.Kind] = r
	}
	if string(got[KindSettings].Data) != "c" || string(got[KindModel].Data) != "z" {
		t.Fatalf("first revisions %q %q", got[KindSettings].Data, got[KindModel].Data)
	}
	select {
	case r := <-ch:
		t.Fatalf("an older revision came after the latest: %+v", r)
	case <-time.After(300 * time.Millisecond):
	}
}

func mustEntry(t *testing.T, f *Fleet, k Kind) []byte {
	t.Helper()
	e, err := f.kv.Get(t.Context(), f.cfg.Key(k, ""))
	if err != nil {
		t.Fatal(err)
	}
	return e.Value()
}
