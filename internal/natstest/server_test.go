package natstest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestRestartKeepsStream stores a message, restarts the server on the
// same store, and reads the message back: what the outage tests rely on.
func TestRestartKeepsStream(t *testing.T) {
	s := Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nc, err := nats.Connect(s.URL(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "t.a", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if nc.IsConnected() {
		// The client notices the closed socket at once.
		time.Sleep(200 * time.Millisecond)
	}
	s.Restart()
	st, err := js.Stream(ctx, "T")
	for i := 0; err != nil && i < 100; i++ { // reconnecting
		time.Sleep(100 * time.Millisecond)
		st, err = js.Stream(ctx, "T")
	}
	if err != nil {
		t.Fatal(err)
	}
	msg, err := st.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if string(msg.Data) != "kept" {
		t.Errorf("message %q after restart, want %q", msg.Data, "kept")
	}
}
