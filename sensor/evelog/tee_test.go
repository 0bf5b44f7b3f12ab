package evelog

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// lines is a LineWriter that keeps copies of what it gets.
type lines struct {
	mu  sync.Mutex
	buf bytes.Buffer
	n   int
}

func (l *lines) WriteLine(p []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	l.n++
}

// TestTeeGetsTheFileBytes: a tee gets each line whole, byte for byte what
// the file gets, also from concurrent writers and across a reconfigure;
// a log with only a tee is a valid log.
func TestTeeGetsTheFileBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.json")
	var tee lines
	l, err := New(Config{Path: path, Sensor: "s", Tee: &tee})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 50 {
				if err := l.Write(Event{Time: time.Now(), Type: TypeAlert, Body: body(w*100 + i)}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := l.Reconfigure(Config{Path: path, Sensor: "s2", Tee: &tee}); err != nil {
		t.Fatal(err)
	}
	l.Write(Event{Time: time.Now(), Type: TypeAlert, Body: body(999)})
	l.Close()
	data, _ := os.ReadFile(path)
	if tee.n != 201 || tee.buf.String() != string(data) {
		t.Fatalf("tee got %d lines, differing from the file: %v", tee.n, tee.buf.String() != string(data))
	}

	var only lines
	l, err = New(Config{Sensor: "s", Tee: &only})
	if err != nil {
		t.Fatal(err)
	}
	l.Write(Event{Type: TypeFlow, Body: body(1)})
	l.Close()
	if only.n != 1 || !bytes.HasSuffix(only.buf.Bytes(), []byte("}\n")) {
		t.Errorf("tee-only log wrote %q", only.buf.String())
	}
}
