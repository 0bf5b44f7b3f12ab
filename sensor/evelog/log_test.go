package evelog

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestLineShape(t *testing.T) {
	var out bytes.Buffer
	l, err := New(Config{Console: &out, Sensor: "edge-1"})
	if err != nil {
		t.Fatal(err)
	}
	// Packet time in another zone, with nanoseconds to truncate.
	packet := time.Date(2024, 3, 1, 13, 4, 5, 123456789, time.FixedZone("CET", 3600))
	rec := []byte(`{"flow_id":7,"src_ip":"10.0.0.1","tls":{"sni":"a\"b"}}`)
	if err := l.Write(Event{Time: packet, Type: TypeAlert, Body: rec}); err != nil {
		t.Fatal(err)
	}
	want := `{"timestamp":"2024-03-01T12:04:05.123456+0000","event_type":"alert","host":"edge-1",` +
		`"flow_id":7,"src_ip":"10.0.0.1","tls":{"sni":"a\"b"}}` + "\n"
	if got := out.String(); got != want {
		t.Errorf("line\n got %s\nwant %s", got, want)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestBodies(t *testing.T) {
	tests := []struct {
		name, body, want string
		err              error
	}{
		{"empty object", `{}`, `{"timestamp":"1970-01-01T00:00:01.000000+0000","event_type":"flow","host":"s"}`, nil},
		{"spaces", " \n{ \"a\" : 1 }\n", `{"timestamp":"1970-01-01T00:00:01.000000+0000","event_type":"flow","host":"s","a" : 1}`, nil},
		{"indented", "{\n  \"a\": [\n    1\r\n  ]\n}", `{"timestamp":"1970-01-01T00:00:01.000000+0000","event_type":"flow","host":"s","a": [     1    ]}`, nil},
		{"array", `[1]`, "", ErrBody},
		{"empty", ``, "", ErrBody},
		{"unclosed", `{"a":1`, "", ErrBody},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			l, err := New(Config{Console: &out, Sensor: "s"})
			if err != nil {
				t.Fatal(err)
			}
			err = l.Write(Event{Time: time.Unix(1, 0), Type: TypeFlow, Body: []byte(tc.body)})
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			if tc.err != nil {
				if out.Len() != 0 {
					t.Errorf("wrote %q for a bad body", out.String())
				}
				return
			}
			if got := out.String(); got != tc.want+"\n" {
				t.Errorf("line\n got %q\nwant %q", got, tc.want+"\n")
			}
			if !json.Valid(out.Bytes()) {
				t.Errorf("not JSON: %s", out.Bytes())
			}
		})
	}
}

func TestEventWithoutType(t *testing.T) {
	var out bytes.Buffer
	l, err := New(Config{Console: &out})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Write(Event{Time: time.Now(), Body: []byte(`{}`)}); err == nil {
		t.Error("event without a type was written")
	}
}

func TestFileAndConsole(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "dir")
	path := filepath.Join(dir, "alerts.json")
	var console bytes.Buffer
	l, err := New(Config{Path: path, Console: &console, Sensor: "s"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := l.Write(Event{Time: time.Now(), Type: TypeAlert, Body: body(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	checkOnce(t, readIDs(t, path), 3)
	data, _ := os.ReadFile(path)
	if console.String() != string(data) {
		t.Errorf("console and file differ:\n%s\n%s", console.String(), data)
	}
	for name, want := range map[string]os.FileMode{dir: 0o750, path: 0o640} {
		st, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", name, st.Mode().Perm(), want)
		}
	}
	if err := l.Write(Event{Time: time.Now(), Type: TypeAlert, Body: body(9)}); !errors.Is(err, ErrClosed) {
		t.Errorf("write after close: %v, want ErrClosed", err)
	}
}

func TestBadConfig(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"directory is a file", Config{Path: filepath.Join(notDir, "alerts.json")}, "create directory for"},
		{"path is a directory", Config{Path: t.TempDir()}, "is a directory"},
		{"no output", Config{}, "no output"},
		{"no backups", Config{Path: filepath.Join(t.TempDir(), "a.json"), Rotation: Rotation{MaxBytes: 10}}, "MaxBackups: must be at least 1"},
		{"negative size", Config{Path: filepath.Join(t.TempDir(), "a.json"), Rotation: Rotation{MaxBytes: -1}}, "MaxBytes: -1 is out of range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// Logrotate renames the file, then the daemon gets SIGUSR1 and reopens:
// lines before the reopen are in the renamed file, lines after it in a
// new file at the original path.
func TestReopenAfterRename(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.json")
	l, err := New(Config{Path: path, Sensor: "s"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	write := func(from, to int) {
		for i := from; i < to; i++ {
			if err := l.Write(Event{Time: time.Now(), Type: TypeAlert, Body: body(i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(0, 5)
	moved := path + "-20240301"
	if err := os.Rename(path, moved); err != nil {
		t.Fatal(err)
	}
	write(5, 8) // still to the open file, now named moved
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("file at the old path before reopen: %v", err)
	}
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	write(8, 12)
	if err := l.Sync(); err != nil { // lines are buffered until then
		t.Fatal(err)
	}
	old, cur := readIDs(t, moved), readIDs(t, path)
	for i := range 12 {
		inOld, inCur := old[i] == 1, cur[i] == 1
		if inOld == inCur || inOld != (i < 8) {
			t.Errorf("id %d: in renamed file %v, in new file %v", i, inOld, inCur)
		}
	}
}

// Reconfigure to a new path while writers run: every line is in exactly
// one of the two files, and lines written after Reconfigure returned are
// in the new one.
func TestReconfigureNewPath(t *testing.T) {
	dir := t.TempDir()
	oldPath, newPath := filepath.Join(dir, "a.json"), filepath.Join(dir, "sub", "b.json")
	l, err := New(Config{Path: oldPath, Sensor: "old"})
	if err != nil {
		t.Fatal(err)
	}
	var (
		next     atomic.Int64
		switched atomic.Bool
		afterMu  sync.Mutex
		after    []int // ids written after the switch
		wg       sync.WaitGroup
		stop     = make(chan struct{})
	)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := int(next.Add(1) - 1)
				late := switched.Load()
				if err := l.Write(Event{Time: time.Now(), Type: TypeAlert, Body: body(id)}); err != nil {
					t.Error(err)
					return
				}
				if late {
					afterMu.Lock()
					after = append(after, id)
					afterMu.Unlock()
				}
			}
		})
	}
	for next.Load() < 500 {
		time.Sleep(time.Millisecond)
	}
	// A reload that fails keeps the old file.
	if err := l.Reconfigure(Config{Path: filepath.Join(oldPath, "x.json")}); err == nil {
		t.Error("reconfigure to a path under a file worked")
	}
	if err := l.Reconfigure(Config{Path: newPath, Sensor: "new"}); err != nil {
		t.Fatal(err)
	}
	switched.Store(true)
	for n := next.Load(); next.Load() < n+500; {
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	n := int(next.Load())
	oldIDs, newIDs := readIDs(t, oldPath), readIDs(t, newPath)
	all := map[int]int{}
	for id, c := range oldIDs {
		all[id] += c
	}
	for id, c := range newIDs {
		all[id] += c
	}
	checkOnce(t, all, n)
	for _, id := range after {
		if newIDs[id] != 1 {
			t.Errorf("id %d, written after the switch, is not in the new file", id)
		}
	}
	if len(oldIDs) == 0 || len(newIDs) == 0 {
		t.Errorf("old file has %d lines, new %d: want both", len(oldIDs), len(newIDs))
	}
	data, _ := os.ReadFile(newPath)
	if !bytes.Contains(data, []byte(`"host":"new"`)) || bytes.Contains(data, []byte(`"host":"old"`)) {
		t.Error("new file does not carry the new sensor name only")
	}
}

// Reconfigure with the same path keeps the file open and applies the new
// rotation.
func TestReconfigureSamePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.json")
	l, err := New(Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	line := len(body(0)) + 100
	for i := range 5 {
		if err := l.Write(Event{Time: time.Now(), Type: TypeFlow, Body: body(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Reconfigure(Config{Path: path, Rotation: Rotation{MaxBytes: int64(2 * line), MaxBackups: 10}}); err != nil {
		t.Fatal(err)
	}
	for i := 5; i < 10; i++ {
		if err := l.Write(Event{Time: time.Now(), Type: TypeFlow, Body: body(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Sync(); err != nil { // lines are buffered until then
		t.Fatal(err)
	}
	files := logFiles(t, path)
	if len(files) < 3 {
		t.Errorf("files %v: want rotation after the reload", files)
	}
	checkOnce(t, readIDs(t, files...), 10)
}
